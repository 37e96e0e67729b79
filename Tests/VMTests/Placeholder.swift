import XCTest
final class VMTestsPlaceholder: XCTestCase { func testNothing() {} }
