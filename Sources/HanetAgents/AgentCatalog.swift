import HanetOCF

/// The agents this package ships, in the order `usage` lists them.
public enum AgentCatalog {
    public static var all: [any ResourceAgent.Type] { [BondAgent.self, BridgeAgent.self, VhostNetAgent.self] }
}
