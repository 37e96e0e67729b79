import XCTest
import Glibc
import HanetHost
import HanetLinks
import HanetNetlink
import HanetTesting

/// A throwaway HA_RSCTMP: made with mkdtemp, removed with its files at the end.
final class TemporaryStateDirectory {
    let path: String

    init() {
        var template = Array("/tmp/hanet-hosttests-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed: errno \(errno)")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The names of the files in it, sorted.
    var files: [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// State files hold flat files only (records, the guard's pid file).
    func remove() {
        for name in files { unlink(path + "/" + name) }
        rmdir(path)
    }
}

/// One fake host per test: a stateful fake kernel with the links the test
/// puts in, the library's LinkManager over it, and a state directory.
class FakeHostTestCase: XCTestCase {
    var kernel: FakeLinkKernel!
    var links: LinkManager!
    var stateDirectory: TemporaryStateDirectory!
    var logged: [String] = []

    override func setUp() {
        super.setUp()
        kernel = FakeLinkKernel()
        links = LinkManager(connection: NetlinkConnection(transport: kernel, firstSequence: 1))
        stateDirectory = TemporaryStateDirectory()
        logged = []
    }

    override func tearDown() {
        stateDirectory.remove()
        XCTAssertFalse(access(stateDirectory.path, F_OK) == 0, "state directory removed")
        kernel = nil
        links = nil
        super.tearDown()
    }

    var log: (String) -> Void { { [weak self] line in self?.logged.append(line) } }

    /// The record a resource keeps under the state directory, read as the
    /// plain `key=value` file it is rather than through `StateFile`: an
    /// independent witness, and no dependence on how StateFile reads.
    func record(_ name: String) -> [String: String] {
        let fd = open(StateFile(directory: stateDirectory.path, name: name).path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [:] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        var values: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    /// The change requests since `mark`, as `FakeKernelRequest.line`s.
    func changes(since mark: Int = 0) -> [String] { kernel.changeLines(since: mark) }

    /// Runs `body`, expecting a `HostError` of `kind`; returns it.
    @discardableResult
    func assertHostError(_ kind: HostError.Kind, file: StaticString = #filePath, line: UInt = #line,
                         _ body: () throws -> Void) -> HostError? {
        do {
            try body()
            XCTFail("expected HostError \(kind), nothing was thrown", file: file, line: line)
        } catch let error as HostError {
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
            return error
        } catch {
            XCTFail("expected HostError \(kind), got \(type(of: error)): \(error)", file: file, line: line)
        }
        return nil
    }

    /// Runs `body`, expecting a `ConfigurationError` naming `parameter`.
    func assertConfigurationError(_ parameter: String, file: StaticString = #filePath, line: UInt = #line,
                                  _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected ConfigurationError(\(parameter)), nothing was thrown", file: file, line: line)
        } catch let error as ConfigurationError {
            XCTAssertEqual(error.parameter, parameter, "\(error)", file: file, line: line)
        } catch {
            XCTFail("expected ConfigurationError(\(parameter)), got \(type(of: error)): \(error)", file: file, line: line)
        }
    }

    /// For each change request `start` makes on an untouched host, a fresh
    /// host on which exactly that request is refused: `start` must throw
    /// and leave the links and the state directory as they were. Steps the
    /// library treats as optional (an alias) may fail without failing start.
    func assertEveryFailedStepRollsBack(setUpHost: (FakeLinkKernel) -> Void,
                                        start: (_ links: LinkManager, _ stateDirectory: String) throws -> Void,
                                        file: StaticString = #filePath, line: UInt = #line) throws {
        let probe = FakeLinkKernel()
        setUpHost(probe)
        let probeDirectory = TemporaryStateDirectory()
        defer { probeDirectory.remove() }
        try start(LinkManager(connection: NetlinkConnection(transport: probe, firstSequence: 1)), probeDirectory.path)
        let steps = probe.changes.map(\.summary)
        XCTAssertGreaterThan(steps.count, 2, file: file, line: line)

        for (position, step) in steps.enumerated() {
            let host = FakeLinkKernel()
            setUpHost(host)
            let before = host.links
            let directory = TemporaryStateDirectory()
            defer { directory.remove() }
            var seen = 0
            host.failNext(nil, errno: EIO, message: "injected at step \(position)") { request in
                guard request.isChange else { return false }
                seen += 1
                return seen == position + 1
            }
            let links = LinkManager(connection: NetlinkConnection(transport: host, firstSequence: 1))
            do {
                try start(links, directory.path)
                XCTAssertTrue(step.contains(" alias "), "start succeeded although '\(step)' failed", file: file, line: line)
                continue
            } catch {
                XCTAssertEqual(host.armedFaults, 0, "the fault for '\(step)' was not hit", file: file, line: line)
            }
            XCTAssertEqual(host.links, before, "links after a failed '\(step)':\n" + host.changeLines().joined(separator: "\n"),
                           file: file, line: line)
            XCTAssertEqual(directory.files, [], "state left after a failed '\(step)'", file: file, line: line)
        }
    }
}
