import CLinuxNet
import CIPTC
let _probe1 = MemoryLayout<nlmsghdr>.size + MemoryLayout<ipt_entry>.size + Int(NFT_MSG_NEWTABLE.rawValue) + MemoryLayout<ifinfomsg>.size
