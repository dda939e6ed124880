"""``labkit siommu ...``: the SIOMMU latency model on the command line (DESIGN.md).

``labkit siommu latency --size BYTES --path linux|spdk|siommu [--tlb-entries N] --json``
prints ``{"total_us", "breakdown_us", "os_share"}``. ``labkit siommu simulate`` runs the
trace-driven simulation on a synthetic or a CSV trace (``--path all``: every path);
``labkit siommu trace KIND --out FILE`` records a real program's I/O as such a CSV;
``labkit siommu image build|files|read`` builds an ext4 image, lists its real extents and
reads a file through the SIOMMU model from the image's bytes.
``labkit siommu claims [--claim N]`` runs the patent's claims 1-16 on the model, limitation
by limitation.
"""

from __future__ import annotations


def _latency(args):
    from labkit.siommu.latency import summary

    return summary(args.path, args.size, write=args.write, device=args.device,
                   tlb_entries=args.tlb_entries)


def _simulate(args):
    from labkit.siommu import latency, sim, workloads

    if args.trace:
        trace = workloads.read_trace(args.trace)
    else:
        trace = workloads.generate(args.pattern, args.requests, blocks=args.blocks,
                                   processes=args.processes, seed=args.seed)
    paths = latency.PATHS if args.path == "all" else (latency.check_path(args.path),)
    results = {path: sim.simulate(trace, path=path, device=args.device,
                                  tlb_entries=args.tlb_entries, ways=args.ways,
                                  threads=args.threads, queue_depth=args.queue_depth,
                                  size=args.size, engine=args.engine).summary()
               for path in paths}
    return results[args.path] if args.path != "all" else {"requests": len(trace),
                                                          "by_path": results}


def _record(args):
    import tempfile

    from labkit.siommu import iotrace, record

    record.check_kind(args.kind)
    options = {"sqlite": {"rows": args.rows, "lookups": args.lookups}}.get(
        args.kind, {"file_mib": args.file_mib, "request": args.request})
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        frame = record.record(args.kind, workdir, seed=args.seed, **options)
    iotrace.write(frame, args.out)
    return {"kind": args.kind, "out": args.out, **iotrace.describe(frame)}


def _bypassd(args):
    from labkit.siommu import bypassd

    parts = bypassd.layers(args.path, args.size, device=args.device)
    return {"path": args.path, "size": args.size, "total_us": sum(parts.values()),
            "breakdown_us": parts}


def _image_build(args):
    from labkit.siommu import image

    out = image.build(args.source, args.out, size_mib=args.size_mib)
    return {"image": str(out), **image.check(out), "files": len(image.files(out))}


def _image_files(args):
    from labkit.siommu import image

    return {"image": args.image, "files": [
        {"path": f.path, "size": f.size, "extents": [list(e) for e in f.extents]}
        for f in image.files(args.image)]}


def _image_read(args):
    import hashlib

    from labkit.lab.errors import InputError
    from labkit.siommu import direct

    with direct.DirectImage(args.image) as emu:
        layout = emu.layouts.get(args.file)
        length = args.length if args.length is not None else (
            layout.size - args.offset if layout else 1)
        fd = emu.open(1, args.file)
        try:
            data = emu.read(1, fd, args.offset, length)
        except direct.Fault as fault:
            raise InputError(f"read of {args.file!r} faulted: {fault}") from None
        o_direct = emu.o_direct
    if args.out:
        with open(args.out, "wb") as f:
            f.write(data)
    return {"file": args.file, "offset": args.offset, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "o_direct": o_direct}


def _claims(args):
    from labkit.siommu import patent

    if args.claim is not None:
        table = patent.check_claim(patent.check_number(args.claim))
        return {"claim": args.claim, "holds": bool(table.holds.all()),
                "limitations": table.drop(columns="claim").to_dict("records")}
    verdicts = patent.summary(patent.check_all())
    return {"holds": bool(verdicts.holds.all()),
            "claims": verdicts.drop(columns="failing").to_dict("records")}


def register(subparsers) -> None:
    group = subparsers.add_parser("siommu", help="the storage I/O MMU: latency and simulation")
    sub = group.add_subparsers(dest="siommu_command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("latency", help="latency breakdown of one request along an I/O path")
    p.add_argument("--size", type=int, required=True, help="request size in bytes")
    p.add_argument("--path", required=True, help="linux, spdk or siommu")
    p.add_argument("--tlb-entries", type=int, default=None, help="SIOMMU TLB entries (default 64)")
    p.add_argument("--device", default="optane", help="optane (default) or flash")
    p.add_argument("--write", action="store_true", help="a write instead of a read")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_latency)

    p = sub.add_parser("simulate", help="trace-driven simulation: TLB hit rate, latency, IOPS")
    p.add_argument("--trace", default=None,
                   help="CSV: pasid,file,op,offset,length (recorded) or pasid,block[,write]")
    p.add_argument("--pattern", default="uniform", help="uniform, zipf, sequential or shared")
    p.add_argument("--requests", type=int, default=100_000)
    p.add_argument("--blocks", type=int, default=262_144, help="blocks per file")
    p.add_argument("--processes", type=int, default=1)
    p.add_argument("--path", default="siommu", help="linux, spdk, siommu or all")
    p.add_argument("--device", default="optane")
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--tlb-entries", type=int, default=64)
    p.add_argument("--ways", type=int, default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--queue-depth", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--engine", default="compiled",
                   help="compiled (default) or python (the slow reference of the same model)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_simulate)

    p = sub.add_parser("claims", help="run the patent's claims 1-16 on the model")
    p.add_argument("--claim", type=int, default=None, help="one claim, 1..16 (default: all)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_claims)
    p = sub.add_parser("trace", help="record the I/O of a real program run here as a trace CSV")
    p.add_argument("kind", help="sqlite, sequential-scan or random-scan")
    p.add_argument("--out", required=True, help="trace CSV to write")
    p.add_argument("--workdir", default=None, help="where the program's files live meanwhile")
    p.add_argument("--rows", type=int, default=20_000, help="sqlite: rows inserted")
    p.add_argument("--lookups", type=int, default=5_000, help="sqlite: random point lookups")
    p.add_argument("--file-mib", type=int, default=16, help="scans: file size in MiB")
    p.add_argument("--request", type=int, default=4096, help="scans: bytes per read")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_record)

    p = sub.add_parser("bypassd", help="one read on a BypassD-evaluation path (psync, libaio, "
                                       "io_uring, spdk, siommu, siommu_emulated)")
    p.add_argument("--path", required=True)
    p.add_argument("--size", type=int, required=True, help="bytes")
    p.add_argument("--device", default="optane")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_bypassd)

    img = sub.add_parser("image", help="real ext4 layouts: build an image, list it, read through the SIOMMU")
    isub = img.add_subparsers(dest="image_command", metavar="COMMAND")
    isub.required = True
    p = isub.add_parser("build", help="mke2fs -d: an ext4 image of a directory (no mount)")
    p.add_argument("source", help="directory whose tree goes into the image")
    p.add_argument("--out", required=True, help="image file to write")
    p.add_argument("--size-mib", type=int, default=None)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_image_build)
    p = isub.add_parser("files", help="every file of an image with its size and real extents")
    p.add_argument("image")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_image_files)
    p = isub.add_parser("read", help="open a file (SIOMMU tables from its extents) and read through the model")
    p.add_argument("image")
    p.add_argument("file", help="path inside the image, e.g. /data.bin")
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--length", type=int, default=None, help="bytes (default: to the end)")
    p.add_argument("--out", default=None, help="write the bytes read to this file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_image_read)
