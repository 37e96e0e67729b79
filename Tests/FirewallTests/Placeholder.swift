import XCTest
final class FirewallTestsPlaceholder: XCTestCase { func testNothing() {} }
