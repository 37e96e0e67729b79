import XCTest
final class LinksTestsPlaceholder: XCTestCase { func testNothing() {} }
