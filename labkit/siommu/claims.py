"""Published SIOMMU claims the notebooks check (ids ``siommu.*``)."""

from labkit.lab.claims import define

PATENT = "US 12,189,966 B2 (Swift, Yadalam), background"
BYPASSD = "Yadalam et al., BypassD, ASPLOS'24, abstract and Sec. 6"

define("siommu.os_share_4k", area="siommu", notebook="40_siommu_latency",
       text="the OS is more than 60% of a 4 KB read's latency on a sub-10 us SSD",
       paper=0.60, tolerance=0.0, rule="at_least", source=PATENT)
define("siommu.cut_vs_linux_4k", area="siommu", notebook="40_siommu_latency",
       text="the SIOMMU path cuts 4 KB read latency by about 42% against Linux",
       paper=0.42, tolerance=0.05, rule="abs", source=BYPASSD)
define("siommu.near_spdk_4k", area="siommu", notebook="40_siommu_latency",
       text="the SIOMMU path is within about 10% of SPDK at 4 KB (fraction above SPDK)",
       paper=0.10, tolerance=0.0, rule="at_most", source=BYPASSD)
define("siommu.no_unauthorised_access", area="siommu", notebook="42_siommu_security",
       text="no request without a matching entry and permission reaches the device",
       paper="every adversarial request faults; no data reaches the wrong process",
       rule="true", source="US 12,189,966 B2, claims 1-4; BypassD Sec. 4")

CLAIMS_TEXT = "US 12,189,966 B2, claims"
_CLAIM_SUMMARY = {
    1: "the unit checks the I/O-device address (a-c) and the memory address (d-f) in tables "
       "held in main memory",
    2: "claim 1 with an SSD of blocks and block addresses",
    3: "claim 2 with virtual block addresses translated to linked physical blocks",
    4: "claim 2 matching the application identifier (PASID) too",
    5: "claim 1 with the permission data as the existence of a matching entry",
    6: "claim 1 with the permission data as a field of an existing entry",
    7: "claim 1 with a cache of the data structure answering on a match",
    8: "claim 1 with virtual memory addresses translated to physical ones",
    9: "claim 1 with a file-transfer bit selecting the data structure",
    10: "claim 1 with RAM as main memory and a nonvolatile SSD",
    11: "a computer architecture: processors, RAM with OS and application, an SSD with a file "
        "system, and the unit's steps (a)-(f)",
    12: "claim 11 with a memory bus and a separate I/O bus",
    13: "claim 11 with the unit translating the processors' virtual addresses",
    14: "claim 11 with virtual block addresses translated to linked physical blocks",
    15: "the method: steps (a)-(f)",
    16: "claim 15 with virtual block addresses translated to linked physical blocks",
}
for _n, _text in _CLAIM_SUMMARY.items():
    define(f"siommu.patent_claim_{_n:02d}", area="siommu", notebook="45_siommu_patent_claims",
           text=f"claim {_n}: {_text}", paper="every limitation holds on the model",
           rule="true", source=f"{CLAIMS_TEXT} {_n}")
