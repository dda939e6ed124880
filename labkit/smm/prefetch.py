"""A software prefetch usable inside numba code (``llvm.prefetch``).

LIBXSMM's prefetch kernels take the addresses of the next operands and touch them while
computing the current product; numba has no such builtin, so this intrinsic emits the
LLVM instruction directly (read access, high locality, data cache).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


def _prefetch_function(module, pointer_type):
    for name in ("llvm.prefetch.p0", "llvm.prefetch.p0i8", "llvm.prefetch"):
        existing = module.globals.get(name)
        if existing is not None:
            return existing
    fnty = ir.FunctionType(ir.VoidType(), [pointer_type, ir.IntType(32), ir.IntType(32),
                                           ir.IntType(32)])
    return cgutils.get_or_insert_function(module, fnty, "llvm.prefetch")


@intrinsic
def prefetch(typingctx, array, index):
    """Hint the cache to fetch ``array[index]`` (no effect on results; no bounds check,
    so callers pass indices that are inside the array)."""
    if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
        return None
    sig = types.void(array, index)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        idx = context.cast(builder, args[1], signature.args[1], types.intp)
        ptr = builder.gep(ary.data, [idx])
        i8p = ir.IntType(8).as_pointer()
        fn = _prefetch_function(builder.module, i8p)
        i32 = ir.IntType(32)
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen
