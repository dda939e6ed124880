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
