import XCTest
import Glibc
import HanetHost

/// The record's own safety rules, without root: links are never followed,
/// temporary files are created exclusively, unsafe directories are refused.
final class StateFileSafetyTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        var template = Array("/tmp/hanet-statefile-XXXXXX".utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        chmod(directory, 0o755)
    }

    override func tearDown() {
        if let directory {
            chmod(directory, 0o755)
            if let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) {
                for entry in entries { unlink(directory + "/" + entry) }
            }
            rmdir(directory)
        }
    }

    private func plantTarget() throws -> String {
        let target = directory + "/target"
        try "precious\n".write(toFile: target, atomically: false, encoding: .utf8)
        return target
    }

    func testRoundTripAndEmptyRecordRemovesTheFile() throws {
        let file = StateFile(directory: directory, name: "hanet-bridge-xenbr1")
        XCTAssertEqual(try file.read(), [:])
        try file.update { $0["created"] = "1"; $0["attached"] = "bond0" }
        XCTAssertEqual(try file.read(), ["created": "1", "attached": "bond0"])
        try file.update { $0 = [:] }
        XCTAssertEqual(access(file.path, F_OK), -1)
    }

    func testLinkAtTheRecordIsNeitherFollowedForReadingNorForWriting() throws {
        let target = try plantTarget()
        let file = StateFile(directory: directory, name: "hanet-bridge-xenbr1")
        XCTAssertEqual(symlink(target, file.path), 0)
        XCTAssertThrowsError(try file.read()) { error in
            XCTAssertEqual((error as? HostError)?.kind, .permission)
            XCTAssertEqual((error as? HostError)?.errno, ELOOP)
        }
        XCTAssertThrowsError(try file.update { $0["created"] = "1" })
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "precious\n")
    }

    func testLinkPlantedAtTheTemporaryPathIsReplacedNotFollowed() throws {
        let target = try plantTarget()
        let file = StateFile(directory: directory, name: "hanet-bond-bond0")
        let temp = file.path + ".tmp\(getpid())"
        XCTAssertEqual(symlink(target, temp), 0)
        try file.write(["created": "1"])
        XCTAssertEqual(try file.read(), ["created": "1"])
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "precious\n", "the link's target is untouched")
        XCTAssertEqual(access(temp, F_OK), -1, "the planted link is gone")
    }

    func testDirectoryWritableByOthersIsRefusedWithTheFix() throws {
        let file = StateFile(directory: directory, name: "hanet-bridge-xenbr1")
        XCTAssertEqual(chmod(directory, 0o757), 0)
        XCTAssertThrowsError(try file.write(["created": "1"])) { error in
            let error = error as? HostError
            XCTAssertEqual(error?.kind, .permission)
            XCTAssertTrue(error?.reason.contains("writable by group or others (mode 0757; chmod go-w \(self.directory!))") == true, "\(String(describing: error))")
        }
        XCTAssertEqual(access(file.path, F_OK), -1, "nothing written")
    }

    func testRecordWritableByOthersIsRefused() throws {
        let file = StateFile(directory: directory, name: "hanet-bridge-xenbr1")
        try file.write(["created": "1"])
        XCTAssertEqual(chmod(file.path, 0o666), 0)
        XCTAssertThrowsError(try file.read()) { error in
            XCTAssertEqual((error as? HostError)?.kind, .permission)
        }
    }

    func testParseIsByteWiseAndSkipsLinesWithoutEquals() {
        XCTAssertEqual(StateFile.parse(Array("a=1\nnoise\nb=x=y\n\na=2".utf8)), ["a": "2", "b": "x=y"])
        XCTAssertEqual(StateFile.parse([0xff, 0x3d, 0xfe]), ["\u{FFFD}": "\u{FFFD}"])
    }
}
