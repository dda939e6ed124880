"""SIMD vectors for generated kernels: a numba type that is one LLVM vector register,
and the handful of operations a small GEMM needs (numba intrinsics).

Why not leave vectorization to LLVM: its SLP vectorizer groups scalar code by its own
heuristics, which change with the shape (for m = 5 it shuffled C across columns, for
8x64x8 the loop vectorizer used gathers) and it cannot express a partial vector. Here the
generator says what LIBXSMM's JIT says: this column of A is ``ceil(m / lanes)`` vector
loads, the last one masked; B is broadcast; C is accumulated with FMAs. A vector is
``lanes = 64 // itemsize`` wide (one AVX-512 register; LLVM splits it on narrower
machines). Partial vectors of A use ``llvm.masked.load``; those of C use plain loads and
stores of power-of-two runs (:func:`vload_exact`), so nothing outside the matrix is read
or written either way. There are no bounds checks: the generator only emits indices
inside the operands.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model

BYTES = 64         # one vector register (AVX-512)


def lanes(dtype) -> int:
    """Elements per vector for a numpy/numba dtype name or item size."""
    size = dtype if isinstance(dtype, int) else {"float64": 8, "float32": 4}[str(dtype)]
    return BYTES // size


class Vector(types.Type):
    """``width`` elements of ``dtype`` held in one register."""

    def __init__(self, dtype, width):
        self.dtype, self.width = dtype, width
        super().__init__(name=f"Vector({dtype} x {width})")


@register_model(Vector)
class VectorModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        element = dmm.lookup(fe_type.dtype).get_value_type()
        super().__init__(dmm, fe_type, ir.VectorType(element, fe_type.width))


def _vector_of(array):
    return Vector(array.dtype, BYTES * 8 // array.dtype.bitwidth)


def _literal(value):
    return value.literal_value if isinstance(value, types.IntegerLiteral) else None


def _pointer(context, builder, array_type, array, index_type, index):
    ary = context.make_array(array_type)(context, builder, array)
    idx = context.cast(builder, index, index_type, types.intp)
    return builder.gep(ary.data, [idx])


def _mask(count, width):
    return ir.Constant(ir.VectorType(ir.IntType(1), width),
                       [ir.IntType(1)(1 if i < count else 0) for i in range(width)])


def _masked(builder, name, vec_type, args):
    """Call ``llvm.masked.load``/``store`` (declared for this vector type)."""
    element = "f64" if vec_type.element == ir.DoubleType() else "f32"
    suffix = f"v{vec_type.count}{element}.p0"
    ptr, align = vec_type.as_pointer(), ir.IntType(32)
    mask = ir.VectorType(ir.IntType(1), vec_type.count)
    if name == "load":
        fnty = ir.FunctionType(vec_type, [ptr, align, mask, vec_type])
    else:
        fnty = ir.FunctionType(ir.VoidType(), [vec_type, ptr, align, mask])
    fn = cgutils.get_or_insert_function(builder.module, fnty, f"llvm.masked.{name}.{suffix}")
    return builder.call(fn, args)


@intrinsic(prefer_literal=True)
def vload(typingctx, array, index, count):
    """``array[index:index + count]`` as a vector (``count``: a literal; lanes beyond it
    are zero and their memory is not touched)."""
    if not isinstance(array, types.Array) or _literal(count) is None:
        return None
    vt = _vector_of(array)
    n = _literal(count)

    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        lt = context.get_value_type(sig.return_type)
        size = context.get_abi_sizeof(lt.element)
        vptr = builder.bitcast(ptr, lt.as_pointer())
        if n >= vt.width:
            return builder.load(vptr, align=size)
        return _masked(builder, "load", lt, [vptr, ir.IntType(32)(size), _mask(n, vt.width),
                                             ir.Constant(lt, None)])

    return vt(array, index, count), codegen


@intrinsic(prefer_literal=True)
def vstrided(typingctx, array, index, stride, count):
    """``array[index + i * stride]`` for ``i < count`` as a vector (a transposed operand's
    column; both literals)."""
    if not isinstance(array, types.Array) or _literal(count) is None or _literal(stride) is None:
        return None
    vt = _vector_of(array)
    n, step = _literal(count), _literal(stride)

    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        lt = context.get_value_type(sig.return_type)
        value = ir.Constant(lt, None)
        for i in range(min(n, vt.width)):
            element = builder.load(builder.gep(ptr, [ir.IntType(64)(i * step)]))
            value = builder.insert_element(value, element, ir.IntType(32)(i))
        return value

    return vt(array, index, stride, count), codegen


@intrinsic
def vsplat(typingctx, array, index):
    """``array[index]`` in every lane (a broadcast load)."""
    if not isinstance(array, types.Array):
        return None
    vt = _vector_of(array)

    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        lt = context.get_value_type(sig.return_type)
        element = builder.load(ptr)
        one = builder.insert_element(ir.Constant(lt, None), element, ir.IntType(32)(0))
        zeros = ir.Constant(ir.VectorType(ir.IntType(32), vt.width), [0] * vt.width)
        return builder.shuffle_vector(one, ir.Constant(lt, ir.Undefined), zeros)

    return vt(array, index), codegen


@intrinsic(prefer_literal=True)
def vstore(typingctx, array, index, value, count):
    """``array[index:index + count] = value[:count]`` (``count``: a literal; memory beyond
    it is not touched)."""
    if not isinstance(array, types.Array) or not isinstance(value, Vector) or _literal(count) is None:
        return None
    n = _literal(count)

    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        lt = context.get_value_type(sig.args[2])
        size = context.get_abi_sizeof(lt.element)
        vptr = builder.bitcast(ptr, lt.as_pointer())
        if n >= value.width:
            builder.store(args[2], vptr, align=size)
        else:
            _masked(builder, "store", lt, [args[2], vptr, ir.IntType(32)(size), _mask(n, value.width)])
        return context.get_dummy_value()

    return types.void(array, index, value, count), codegen


def _pieces(count):
    """``count`` lanes as power-of-two runs ``(offset, size)``, largest first: 7 -> 4, 2, 1."""
    out, offset, size = [], 0, 1 << (count.bit_length() - 1)
    while size:
        if count - offset >= size:
            out.append((offset, size))
            offset += size
        size >>= 1
    return out


@intrinsic(prefer_literal=True)
def vload_exact(typingctx, array, index, count):
    """Like :func:`vload`, but reads a partial vector as plain loads of power-of-two runs,
    matching :func:`vstore_exact`. C goes through these two: a masked store cannot be
    forwarded to the next load of the same address, so accumulating into a C whose rows
    end in a partial vector stalled on every product (measured, 5x5x5 with C in cache:
    about 2x slower)."""
    if not isinstance(array, types.Array) or _literal(count) is None:
        return None
    vt = _vector_of(array)
    n = min(_literal(count), vt.width)

    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        lt = context.get_value_type(sig.return_type)
        size = context.get_abi_sizeof(lt.element)
        value = ir.Constant(lt, None)
        for offset, run in _pieces(n):
            at = builder.gep(ptr, [ir.IntType(64)(offset)])
            if run == 1:
                value = builder.insert_element(value, builder.load(at), ir.IntType(32)(offset))
                continue
            rt = ir.VectorType(lt.element, run)
            piece = builder.load(builder.bitcast(at, rt.as_pointer()), align=size)
            for lane in range(run):
                element = builder.extract_element(piece, ir.IntType(32)(lane))
                value = builder.insert_element(value, element, ir.IntType(32)(offset + lane))
        return value

    return vt(array, index, count), codegen


@intrinsic(prefer_literal=True)
def vstore_exact(typingctx, array, index, value, count):
    """Like :func:`vstore`, but writes a partial vector as plain stores of power-of-two
    runs (see :func:`vload_exact`)."""
    if not isinstance(array, types.Array) or not isinstance(value, Vector) or _literal(count) is None:
        return None
    n = min(_literal(count), value.width)

    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        lt = context.get_value_type(sig.args[2])
        size = context.get_abi_sizeof(lt.element)
        for offset, run in _pieces(n):
            at = builder.gep(ptr, [ir.IntType(64)(offset)])
            if run == 1:
                builder.store(builder.extract_element(args[2], ir.IntType(32)(offset)), at)
                continue
            rt = ir.VectorType(lt.element, run)
            lanes_ = ir.Constant(ir.VectorType(ir.IntType(32), run), list(range(offset, offset + run)))
            piece = builder.shuffle_vector(args[2], ir.Constant(lt, ir.Undefined), lanes_)
            builder.store(piece, builder.bitcast(at, rt.as_pointer()), align=size)
        return context.get_dummy_value()

    return types.void(array, index, value, count), codegen


@intrinsic
def vstream(typingctx, array, index, value):
    """``array[index:index + lanes] = value`` with a non-temporal store: the line goes to
    memory without first being read into the cache (the read for ownership an ordinary
    store costs), which is what a batch of results larger than the caches wants. The
    address must be 64-byte aligned (LIBXSMM's NTS hint for C asks the same)."""
    if not isinstance(array, types.Array) or not isinstance(value, Vector):
        return None

    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        lt = context.get_value_type(sig.args[2])
        store = builder.store(args[2], builder.bitcast(ptr, lt.as_pointer()), align=BYTES)
        store.set_metadata("nontemporal", builder.module.add_metadata([ir.IntType(32)(1)]))
        return context.get_dummy_value()

    return types.void(array, index, value), codegen


@intrinsic
def store_fence(typingctx):
    """Order the non-temporal stores before anything that follows (they are weakly
    ordered); called once at the end of a batch."""
    def codegen(context, builder, sig, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.void(), codegen


@intrinsic
def vzero(typingctx, array):
    """A vector of zeros with ``array``'s element type."""
    if not isinstance(array, types.Array):
        return None
    vt = _vector_of(array)

    def codegen(context, builder, sig, args):
        return ir.Constant(context.get_value_type(sig.return_type), None)

    return vt(array), codegen


def _binary(op):
    @intrinsic
    def apply(typingctx, x, y):
        if not (isinstance(x, Vector) and x == y):
            return None

        def codegen(context, builder, sig, args):
            return getattr(builder, op)(args[0], args[1])

        return x(x, y), codegen
    return apply


vadd = _binary("fadd")
vsub = _binary("fsub")
vmul = _binary("fmul")


@intrinsic
def vfma(typingctx, x, y, acc):
    """``x * y + acc`` in one rounding (``llvm.fma``)."""
    if not (isinstance(x, Vector) and x == y == acc):
        return None

    def codegen(context, builder, sig, args):
        lt = context.get_value_type(sig.return_type)
        element = "f64" if lt.element == ir.DoubleType() else "f32"
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(lt, [lt, lt, lt]),
                                            f"llvm.fma.v{lt.count}{element}")
        return builder.call(fn, list(args))

    return x(x, y, acc), codegen


def _swap_masks(width: int, bit: int) -> tuple[list[int], list[int]]:
    """Shuffle indices (into the concatenation of rows ``r`` and ``r + bit``) that swap
    index bit ``bit`` between the row and the lane: the low row's, then the high row's."""
    low = [c if not c & bit else width + c - bit for c in range(width)]
    high = [c + bit if not c & bit else width + c for c in range(width)]
    return low, high


@intrinsic
def tile_transpose(typingctx, src, so, ldi, dst, do, ldo):
    """``dst[do + i*ldo + j] = src[so + i + j*ldi]`` for a ``lanes x lanes`` tile, through
    registers: one full vector load per column of the input, ``log2(lanes)`` rounds of
    shuffles (each swaps one bit of the row index with one of the lane index) and one
    full vector store per row of the output. Why: every cache line is read whole and
    written whole at once, so a leading dimension that is a power of two (all the tile's
    lines in one cache set) costs no conflict misses, which element-wise loops suffer."""
    if not (isinstance(src, types.Array) and isinstance(dst, types.Array) and src.dtype == dst.dtype):
        return None
    vt = _vector_of(src)

    def codegen(context, builder, sig, args):
        lt = context.get_value_type(vt)
        size = context.get_abi_sizeof(lt.element)
        width = vt.width
        sptr = _pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        dptr = _pointer(context, builder, sig.args[3], args[3], sig.args[4], args[4])
        lds = context.cast(builder, args[2], sig.args[2], types.intp)
        ldd = context.cast(builder, args[5], sig.args[5], types.intp)
        rows = []
        for j in range(width):
            at = builder.gep(sptr, [builder.mul(lds, ir.Constant(lds.type, j))])
            rows.append(builder.load(builder.bitcast(at, lt.as_pointer()), align=size))
        bit = width // 2
        while bit:
            low, high = _swap_masks(width, bit)
            new = list(rows)
            for r in range(width):
                if r & bit:
                    continue
                x, y = rows[r], rows[r + bit]
                new[r] = builder.shuffle_vector(x, y, ir.Constant(ir.VectorType(ir.IntType(32), width), low))
                new[r + bit] = builder.shuffle_vector(x, y, ir.Constant(ir.VectorType(ir.IntType(32), width), high))
            rows, bit = new, bit // 2
        for i in range(width):
            at = builder.gep(dptr, [builder.mul(ldd, ir.Constant(ldd.type, i))])
            builder.store(rows[i], builder.bitcast(at, lt.as_pointer()), align=size)
        return context.get_dummy_value()

    return types.void(src, so, ldi, dst, do, ldo), codegen
