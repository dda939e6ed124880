"""The CMS-style event-processing framework of the libdispatch HEP paper, written once
against :mod:`labkit.scheduler.runtime` so it runs on simulated and real cores.

Concepts carry the paper's names: :class:`~labkit.scheduler.hep.event.Event`,
:class:`~labkit.scheduler.hep.modules.Source`, ``Producer``, ``Filter``,
``OutputModule``, ``Path``, ``EndPath``, ``ModuleWrapper``, ``ProducerWrapper``,
``FilterWrapper``, ``FilterOnPathWrapper`` and the ``EventProcessor`` that keeps N Event
instances in flight. Configurations are toy-mt-framework JSON files
(:mod:`labkit.scheduler.hep.config`).
"""
