// swift-tools-version:6.0
// hanet: highly available networking for virtualization hosts.
//
// Layers, lowest first (see ARCHITECTURE.md): C bindings -> HanetNetlink ->
// HanetLinks / HanetFirewall -> HanetHost (the host logic, no OCF) ->
// HanetAgents (OCF adapters over HanetOCF) -> executables. Each library
// product is named as its module: `.product(name: "HanetLinks", ...)` is
// `import HanetLinks`. No target below the executables imports Foundation:
// agents are started by Pacemaker every few seconds and must start in
// milliseconds.
import PackageDescription

let package = Package(
    name: "hanet",
    products: [
        .library(name: "HanetSystem", targets: ["HanetSystem"]),
        .library(name: "HanetNetlink", targets: ["HanetNetlink"]),
        .library(name: "HanetLinks", targets: ["HanetLinks"]),
        .library(name: "HanetFirewall", targets: ["HanetFirewall"]),
        .library(name: "HanetHost", targets: ["HanetHost"]),
        .library(name: "HanetOCF", targets: ["HanetOCF"]),
        .library(name: "HanetAgents", targets: ["HanetAgents"]),
        // A scripted fake kernel, so tools built on hanet can unit-test
        // their own logic without root or a namespace.
        .library(name: "HanetTesting", targets: ["HanetTesting"]),
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
        .systemLibrary(name: "CSyslog"),
        // What root may trust on the file system (StrictModes rules).
        .target(name: "HanetSystem"),
        .target(name: "HanetNetlink", dependencies: ["CLinuxNet"]),
        .target(name: "HanetLinks", dependencies: ["HanetNetlink", "CLinuxNet"]),
        .target(name: "HanetFirewall", dependencies: ["HanetNetlink", "HanetLinks", "CLinuxNet", "CIPTC"]),
        .target(name: "HanetHost", dependencies: ["HanetSystem", "HanetNetlink", "HanetLinks", "HanetFirewall"]),
        .target(name: "HanetOCF", dependencies: ["CSyslog", "HanetSystem"]),
        .target(name: "HanetAgents", dependencies: ["HanetOCF", "HanetHost", "HanetLinks", "HanetFirewall", "HanetNetlink"]),
        .target(name: "HanetTesting", dependencies: ["HanetNetlink", "HanetLinks", "HanetFirewall", "CLinuxNet"]),
        .executableTarget(name: "hanet-agent", dependencies: ["HanetAgents"]),
        .executableTarget(name: "hanet", dependencies: ["HanetAgents", "HanetHost", "HanetOCF", "HanetLinks", "HanetNetlink", "HanetFirewall"]),

        .target(name: "TestSupport", dependencies: ["HanetNetlink", "HanetLinks", "HanetTesting"], path: "Tests/TestSupport"),
        .testTarget(name: "NetlinkTests", dependencies: ["HanetNetlink", "HanetTesting", "TestSupport"]),
        .testTarget(name: "LinksTests", dependencies: ["HanetLinks", "HanetNetlink", "HanetTesting", "TestSupport"]),
        .testTarget(name: "FirewallTests", dependencies: ["HanetFirewall", "HanetNetlink", "HanetTesting", "TestSupport"]),
        .testTarget(name: "HostTests", dependencies: ["HanetHost", "HanetLinks", "HanetFirewall", "HanetNetlink", "HanetTesting", "TestSupport"]),
        .testTarget(name: "OCFTests", dependencies: ["HanetOCF"]),
        .testTarget(name: "AgentTests", dependencies: ["HanetAgents", "HanetHost", "HanetOCF", "HanetLinks", "HanetNetlink", "HanetFirewall", "TestSupport"]),
        // Root only: each test makes and removes its own network namespaces.
        .testTarget(name: "NetnsTests", dependencies: ["HanetLinks", "HanetFirewall", "HanetNetlink", "HanetHost", "HanetAgents", "HanetOCF", "TestSupport"]),
        // Run inside the qemu VM by scripts/vm (real bonding and 802.1Q drivers).
        .testTarget(name: "VMTests", dependencies: ["HanetLinks", "HanetNetlink", "HanetHost", "HanetAgents", "HanetOCF", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// API documentation (`make docs`) only: the DocC plugin is a dependency
// while HANET_DOCS is set, so `swift build` and `swift test` never resolve
// or fetch it (and tools that depend on hanet never see it).
if Context.environment["HANET_DOCS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0")
    )
}
