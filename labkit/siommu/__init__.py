"""The storage I/O memory management unit (SIOMMU, US 12,189,966 B2; BypassD, ASPLOS'24).

Applications send block requests straight to an SSD; the SIOMMU checks every request
against page tables the OS fills at file open, through a TLB, and faults what they do
not allow. Modules, one concept each:

- :mod:`~labkit.siommu.request`  requests (FT bit, PASID, device id, address, R/W) and results
- :mod:`~labkit.siommu.pagetable` multi-level page tables 34a (I/O addresses) and 34b (memory)
- :mod:`~labkit.siommu.tlb`       set-associative TLB (50a, 50b, or one combined)
- :mod:`~labkit.siommu.unit`      the FIG. 4 decision logic
- :mod:`~labkit.siommu.kernel`    the OS side: files of extents, open/close/append, fault policies
- :mod:`~labkit.siommu.system`    processes, the SSD and the two-stage check of claim 1 (tags)
- :mod:`~labkit.siommu.faults`    fault handling chosen by a fault code per entry or request
- :mod:`~labkit.siommu.permission` permission as an entry's existence (claim 5) or a field (6)
- :mod:`~labkit.siommu.memory`    RAM and nonvolatile solid-state memory under power cycles
- :mod:`~labkit.siommu.buses`     the memory bus and the separate I/O bus, each charged
- :mod:`~labkit.siommu.device`    I/O devices with addressed sources: the SSD, a network card
- :mod:`~labkit.siommu.architecture` claim 11's computer with bytes: processors, RAM, SSDs,
  NIC, SIOMMU (also the processors' MMU, claim 13), two buses
- :mod:`~labkit.siommu.params`, :mod:`~labkit.siommu.latency` the latency of the I/O paths
- :mod:`~labkit.siommu.workloads`, :mod:`~labkit.siommu.sim` trace-driven simulation (numba)
- :mod:`~labkit.siommu.calibrate` measuring this machine's syscall and pread costs

Importing this package is cheap: numba loads only with :mod:`~labkit.siommu.sim`.
"""
