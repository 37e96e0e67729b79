import XCTest
final class NetnsTestsPlaceholder: XCTestCase { func testNothing() {} }
