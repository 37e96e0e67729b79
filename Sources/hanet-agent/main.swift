print("hanet-agent")
