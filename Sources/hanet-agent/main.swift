import HanetOCF
import HanetAgents

// One executable for every agent; argv[0] picks it (bridge, bond, vhostnet,
// hanet-bridge, S20hanet-bridge ...), or `hanet-agent bridge start`.
AgentRunner.multiCallMain(AgentCatalog.all)
