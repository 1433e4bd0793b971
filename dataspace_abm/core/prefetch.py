"""A hint to the cache for compiled loops that read rows at random (``llvm.prefetch``).

A loop over a graph's edges reads its senders' rows in the order of the edges: the
rewired links of a small world land anywhere in memory, and the processor's own
prefetchers only follow steady strides. Asking for the row a few dozen edges ahead lets
those misses overlap instead of waiting one after another (flat's receivers' pass: 97-106
against 48-53 ms on one core at 10^6 cells, docs/performance.md). A prefetch changes no
value and never faults, so a kernel's numbers stay the same.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# edges ahead, from flat's receivers' pass on one core at 10^6 cells: 8 ahead 65-70 ms,
# 16 52-57, 32 48-53, 64 48-53
AHEAD = 32


@intrinsic
def prefetch_row(typingctx, array, row):
    """Ask the cache for the start of ``array[row]`` (a 2-D array, read, kept in every
    level); ``row`` must be a row of ``array``."""
    if not (isinstance(array, types.Array) and array.ndim == 2 and isinstance(row, types.Integer)):
        return None
    signature = types.void(array, row)

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        index = context.cast(builder, args[1], sig.args[1], types.intp)
        zero = context.get_constant(types.intp, 0)
        ptr = cgutils.get_item_pointer(
            context, builder, sig.args[0], ary, [index, zero], wraparound=False
        )
        # "p0": any pointer, as LLVM names it from version 15 on (numba 0.68.1 builds on 22;
        # 0.68 is the project's floor)
        i32 = ir.IntType(32)
        hint = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, hint, "llvm.prefetch.p0")
        # read (0), the highest locality (3), the data cache (1)
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return signature, codegen
