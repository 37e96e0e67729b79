// swift-tools-version:6.0
// An example of a Swift tool built on hanet: what the seed articles do by
// hand with brctl, ip and iptables, as library calls. It depends on hanet by
// path, as a tool in the same tree would; elsewhere use
// `.package(url: "<hanet's git URL>", from: "0.2.0")`.
import PackageDescription

let package = Package(
    name: "guest-pair",
    dependencies: [.package(name: "hanet", path: "../..")],
    targets: [
        .executableTarget(name: "guest-pair", dependencies: [
            .product(name: "HanetHost", package: "hanet"),
            .product(name: "HanetLinks", package: "hanet"),
            .product(name: "HanetFirewall", package: "hanet"),
        ]),
        // A tool's own unit tests, without root: hanet's fake kernel.
        .testTarget(name: "guest-pairTests", dependencies: [
            .product(name: "HanetHost", package: "hanet"),
            .product(name: "HanetLinks", package: "hanet"),
            .product(name: "HanetNetlink", package: "hanet"),
            .product(name: "HanetTesting", package: "hanet"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
