import XCTest
final class OCFTestsPlaceholder: XCTestCase { func testNothing() {} }
