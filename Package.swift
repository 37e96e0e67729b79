// swift-tools-version:6.0
// hanet: highly available networking for virtualization hosts.
//
// Layers, lowest first (see ARCHITECTURE.md): C bindings -> Netlink ->
// Links / Firewall -> OCF runtime -> Agents -> executables. No target
// below the executables imports Foundation: agents are started by
// Pacemaker every few seconds and must start in milliseconds.
import PackageDescription

let package = Package(
    name: "hanet",
    products: [
        .library(name: "HanetLinks", targets: ["Links"]),
        .library(name: "HanetFirewall", targets: ["Firewall"]),
        .library(name: "HanetAgents", targets: ["Agents"]),
        .executable(name: "hanet-agent", targets: ["hanet-agent"]),
        .executable(name: "hanet", targets: ["hanet"]),
    ],
    targets: [
        // Kernel uapi headers (netlink, rtnetlink, nf_tables) and libmnl.
        .systemLibrary(
            name: "CLinuxNet",
            pkgConfig: "libmnl",
            providers: [.apt(["libmnl-dev"])]
        ),
        // libiptc (iptables-legacy ruleset ADT), IPv4 and IPv6: headers only.
        // The libraries are dlopen'ed by the iptables backend on first use
        // (IPTablesLibrary), so no pkgConfig here: it would link them.
        .systemLibrary(
            name: "CIPTC",
            providers: [.apt(["libiptc-dev"])]
        ),
        .target(name: "Netlink", dependencies: ["CLinuxNet"]),
        .target(name: "Links", dependencies: ["Netlink", "CLinuxNet"]),
        .target(name: "Firewall", dependencies: ["Netlink", "Links", "CLinuxNet", "CIPTC"]),
        .systemLibrary(name: "CSyslog"),
        .target(name: "OCF", dependencies: ["CSyslog"]),
        .target(name: "Agents", dependencies: ["OCF", "Links", "Firewall", "Netlink"]),
        .executableTarget(name: "hanet-agent", dependencies: ["Agents"]),
        .executableTarget(name: "hanet", dependencies: ["Agents", "OCF", "Links", "Netlink", "Firewall"]),

        .target(name: "TestSupport", dependencies: ["Netlink", "Links"], path: "Tests/TestSupport"),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "TestSupport"]),
        .testTarget(name: "LinksTests", dependencies: ["Links", "Netlink", "TestSupport"]),
        .testTarget(name: "FirewallTests", dependencies: ["Firewall", "Netlink", "TestSupport"]),
        .testTarget(name: "OCFTests", dependencies: ["OCF"]),
        .testTarget(name: "AgentTests", dependencies: ["Agents", "OCF", "TestSupport"]),
        // Root only: each test makes and removes its own network namespaces.
        .testTarget(name: "NetnsTests", dependencies: ["Links", "Firewall", "Netlink", "Agents", "OCF", "TestSupport"]),
        // Run inside the qemu VM by scripts/vm (real bonding and 802.1Q drivers).
        .testTarget(name: "VMTests", dependencies: ["Links", "Netlink", "Agents", "OCF", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
