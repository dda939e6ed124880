"""Raw memory and C function pointers from numba code: what :mod:`labkit.smm.wrap` needs
to read CPython and numpy object headers and call C-API functions from a compiled hook.

Addresses are plain ``int64`` values. Nothing here checks anything: callers validate the
layout once (:func:`labkit.smm.wrap.check_layout`) before any compiled hook reads memory.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_I64, _I32, _F64 = ir.IntType(64), ir.IntType(32), ir.DoubleType()


def _load(kind, numba_type):
    @intrinsic
    def load(typingctx, address):
        def codegen(context, builder, signature, args):
            ptr = builder.inttoptr(args[0], kind.as_pointer())
            return builder.load(ptr)
        return numba_type(types.int64), codegen
    return load


load_i64 = _load(_I64, types.int64)
load_i32 = _load(_I32, types.int32)
load_u8 = _load(ir.IntType(8), types.uint8)
load_f64 = _load(_F64, types.float64)


@intrinsic
def store_i64(typingctx, address, value):
    def codegen(context, builder, signature, args):
        builder.store(args[1], builder.inttoptr(args[0], _I64.as_pointer()))
    return types.void(types.int64, types.int64), codegen


@intrinsic
def f64_pointer(typingctx, address):
    """``address`` as a ``float64*`` (for ``numba.carray``)."""
    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], _F64.as_pointer())
    return types.CPointer(types.float64)(types.int64), codegen


def _call(builder, args, arity):
    fnty = ir.FunctionType(_I64, [_I64] * arity)
    return builder.call(builder.inttoptr(args[0], fnty.as_pointer()), list(args[1:]))


@intrinsic
def call2(typingctx, function, x, y):
    """``PyObject *f(PyObject *, PyObject *)`` at ``function`` (a binary slot)."""
    def codegen(context, builder, signature, args):
        return _call(builder, args, 2)
    return types.int64(types.int64, types.int64, types.int64), codegen


@intrinsic
def call4(typingctx, function, a, b, c, d):
    """A four-argument C function returning a pointer (``PyObject_Vectorcall``)."""
    def codegen(context, builder, signature, args):
        return _call(builder, args, 4)
    return types.int64(*([types.int64] * 5)), codegen


@intrinsic
def call_new_array(typingctx, function, subtype, nd, dims, typenum, fortran):
    """``PyArray_New(subtype, nd, dims, typenum, NULL, NULL, 0, fortran, NULL)``."""
    sig = types.int64(types.int64, types.int64, types.int32, types.int64, types.int32, types.int32)

    def codegen(context, builder, signature, args):
        fn_, subtype_, nd_, dims_, typenum_, fortran_ = args
        fnty = ir.FunctionType(_I64, [_I64, _I32, _I64, _I32, _I64, _I64, _I32, _I32, _I64])
        fn = builder.inttoptr(fn_, fnty.as_pointer())
        zero64, zero32 = ir.Constant(_I64, 0), ir.Constant(_I32, 0)
        return builder.call(fn, [subtype_, nd_, dims_, typenum_, zero64, zero64, zero32, fortran_, zero64])
    return sig, codegen
