import XCTest
@testable import HanetLinks

final class ModelTests: XCTestCase {
    func testInterfaceNameRules() {
        XCTAssertNoThrow(try InterfaceName(validating: "vif12.0"))
        XCTAssertNoThrow(try InterfaceName(validating: "123456789012345"))
        XCTAssertThrowsError(try InterfaceName(validating: "1234567890123456")) { XCTAssertEqual($0 as? InterfaceName.Invalid, .tooLong("1234567890123456", bytes: 16)) }
        XCTAssertThrowsError(try InterfaceName(validating: ""))
        for bad in ["a/b", "a b", "eth0:1", "a\tb", "a\0b", ".", ".."] {
            XCTAssertThrowsError(try InterfaceName(validating: bad), bad)
        }
        // Control bytes reach logs and terminals: refused, and not echoed raw.
        XCTAssertThrowsError(try InterfaceName(validating: "eth\u{1b}[2J")) { error in
            XCTAssertEqual(error as? InterfaceName.Invalid, .controlCharacter("eth\u{1b}[2J", 0x1b))
            XCTAssertEqual("\(error)", "interface name 'eth?[2J' contains the control byte 0x1b")
        }
        XCTAssertThrowsError(try InterfaceName(validating: "a\u{7f}"))
        XCTAssertThrowsError(try InterfaceName(validating: "a\u{07}b"))
        // Multi-byte characters count in bytes, as the kernel counts them.
        XCTAssertThrowsError(try InterfaceName(validating: "ééééééééé"))
    }

    func testMACParsing() throws {
        XCTAssertEqual(try MACAddress(parsing: "FE:FF:FF:FF:FF:FF").description, "fe:ff:ff:ff:ff:ff")
        XCTAssertEqual(try MACAddress(parsing: "02-00-00-00-00-0a").description, "02:00:00:00:00:0a")
        XCTAssertEqual(try MACAddress(parsing: "2:0:0:a:B:c").description, "02:00:00:0a:0b:0c")
        for bad in ["", "02:00:00:00:00", "02:00:00:00:00:0g", "002:00:00:00:00:01", "02:00:00:00:00:00:00",
                    "02:00-00:00:00:01", "02::00:00:00:01", "02:00:00:00:00:", ":02:00:00:00:00", "02 00 00 00 00 01"] {
            XCTAssertThrowsError(try MACAddress(parsing: bad), bad)
        }
        XCTAssertTrue(MACAddress("01:00:5e:00:00:01").isMulticast)
        XCTAssertTrue(MACAddress("00:00:00:00:00:00").isZero)
    }

    func testGuestPortNames() {
        XCTAssertEqual(GuestPort(name: "vif3.0"), .xen(domain: 3, device: 0))
        XCTAssertEqual(GuestPort(name: "vif12.4"), .xen(domain: 12, device: 4))
        XCTAssertEqual(GuestPort(name: "tap0"), .tap(0))
        XCTAssertEqual(GuestPort(name: "vnet17"), .vnet(17))
        XCTAssertTrue(GuestPort(name: "vif0.1")?.isXenDom0 == true)
        for notGuest in ["vif", "vif3", "vif3.", "vif.0", "vif3.0.1", "vifa.0", "tap", "tapx", "vnet", "eth0", "bond0"] {
            XCTAssertNil(GuestPort(name: notGuest), notGuest)
        }
    }

    func testBondModesByNameAndNumber() {
        XCTAssertEqual(BondMode.allCases.count, 7)
        for mode in BondMode.allCases {
            XCTAssertEqual(BondMode(parsing: mode.description), mode)
            XCTAssertEqual(BondMode(parsing: String(mode.rawValue)), mode)
        }
        XCTAssertEqual(BondMode(parsing: "802.3ad"), .ieee8023ad)
        XCTAssertNil(BondMode(parsing: "7"))
        XCTAssertNil(BondMode(parsing: "active_backup"))
        XCTAssertEqual(XmitHashPolicy(parsing: "layer3+4"), .layer34)
        XCTAssertEqual(XmitHashPolicy(parsing: "encap2+3"), .encap23)
        XCTAssertEqual(LACPRate(parsing: "fast"), .fast)
        XCTAssertEqual(ADSelect(parsing: "bandwidth"), .bandwidth)
        XCTAssertEqual(ARPValidate(parsing: "filter_active"), .filterActive)
    }

    func testBondDifferenceOnlyCarriesChangedOptions() {
        var want = Bond(mode: .activeBackup, miimon: 100)
        want.updelay = 200
        var have = Bond(mode: .activeBackup, miimon: 100)
        have.updelay = 0
        have.downdelay = 0
        let delta = want.difference(from: have)
        XCTAssertNil(delta.mode)
        XCTAssertNil(delta.miimon)
        XCTAssertEqual(delta.updelay, 200)
        XCTAssertNil(delta.downdelay)
    }

    func testIPv4Parsing() {
        XCTAssertEqual(IPv4Address(parsing: "192.168.1.254")?.description, "192.168.1.254")
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "a.b.c.d", "1..2.3", "-1.2.3.4"] {
            XCTAssertNil(IPv4Address(parsing: bad), bad)
        }
    }
}
