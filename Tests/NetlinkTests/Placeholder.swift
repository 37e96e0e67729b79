import XCTest
final class NetlinkTestsPlaceholder: XCTestCase { func testNothing() {} }
