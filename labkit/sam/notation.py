"""Tensor index notation: ``X(i,j)=B(i,k)*C(k,j)`` parsed into a small expression tree.

Scalars (``x=...``, a tensor ``a`` without indices), vectors, 3-tensors, ``+ - *``,
parentheses, unary minus and numeric constants.  Indices that appear on the right but not
on the left are summed over the smallest sub-expression holding all their uses (so
``x(i)=b(i)-C(i,j)*d(j)`` means ``b(i) - sum_j C(i,j)*d(j)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from labkit.lab.errors import InputError

_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+(?:[eE][-+]?\d+)?)|([A-Za-z_]\w*)|(.))")


@dataclass
class Access:
    name: str
    indices: tuple
    key: str = ""          # unique per use of a tensor (a tensor may appear twice)


@dataclass
class Const:
    value: float


@dataclass
class Bin:
    op: str                # "+", "-", "*"
    left: object
    right: object


@dataclass
class Sum:
    indices: tuple
    child: object


@dataclass
class Statement:
    """A parsed assignment: output name and indices, right-hand side with sums placed."""

    text: str
    out: str
    out_indices: tuple
    rhs: object
    accesses: list = field(default_factory=list)

    @property
    def indices(self) -> tuple:
        seen = list(self.out_indices)
        for a in self.accesses:
            seen += [i for i in a.indices if i not in seen]
        return tuple(seen)

    @property
    def reductions(self) -> tuple:
        return tuple(i for i in self.indices if i not in self.out_indices)


def _tokens(text: str):
    out = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            break
        num, name, other = m.groups()
        if num:
            out.append(("num", float(num)))
        elif name:
            out.append(("name", name))
        elif other and not other.isspace():
            if other not in "()=,+-*":
                raise InputError(f"expression {text!r}: unexpected character {other!r}")
            out.append((other, other))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text):
        self.text, self.toks, self.k = text, _tokens(text), 0

    def peek(self):
        return self.toks[self.k][0] if self.k < len(self.toks) else None

    def take(self, kind):
        if self.peek() != kind:
            found = self.toks[self.k][1] if self.k < len(self.toks) else "the end"
            raise InputError(f"expression {self.text!r}: expected {kind!r} but found {found!r}")
        self.k += 1
        return self.toks[self.k - 1][1]

    def access(self):
        name = self.take("name")
        idx = []
        if self.peek() == "(":
            self.take("(")
            idx.append(self.take("name"))
            while self.peek() == ",":
                self.take(",")
                idx.append(self.take("name"))
            self.take(")")
        if len(set(idx)) != len(idx):
            raise InputError(f"expression {self.text!r}: {name} repeats an index ({','.join(idx)})")
        return Access(name, tuple(idx))

    def factor(self):
        kind = self.peek()
        if kind == "num":
            return Const(self.take("num"))
        if kind == "-":
            self.take("-")
            return Bin("*", Const(-1.0), self.factor())
        if kind == "(":
            self.take("(")
            e = self.expr()
            self.take(")")
            return e
        return self.access()

    def term(self):
        e = self.factor()
        while self.peek() == "*":
            self.take("*")
            e = Bin("*", e, self.factor())
        return e

    def expr(self):
        e = self.term()
        while self.peek() in ("+", "-"):
            op = self.take(self.peek())
            e = Bin(op, e, self.term())
        return e


def accesses(node) -> list:
    if isinstance(node, Access):
        return [node]
    if isinstance(node, Bin):
        return accesses(node.left) + accesses(node.right)
    if isinstance(node, Sum):
        return accesses(node.child)
    return []


def index_set(node) -> set:
    return {i for a in accesses(node) for i in a.indices}


def _place(node, pending):
    """Wrap the smallest sub-expression holding every use of each pending index in a Sum."""
    if isinstance(node, Bin) and node.op == "*":
        # a product holds every use of its pending indices: sum over the whole product
        return Sum(tuple(pending), node) if pending else node
    if isinstance(node, Bin):
        left_only = [r for r in pending if r not in index_set(node.right)]
        right_only = [r for r in pending if r not in index_set(node.left)]
        here = tuple(r for r in pending if r not in left_only and r not in right_only)
        node = Bin(node.op, _place(node.left, left_only), _place(node.right, right_only))
        return Sum(here, node) if here else node
    if isinstance(node, Access) and pending:
        return Sum(tuple(pending), node)
    return node


def parse(text: str) -> Statement:
    """Parse ``OUT(idx) = rhs``; raises InputError naming what is malformed."""
    if not isinstance(text, str) or "=" not in text:
        raise InputError(f"expression {text!r}: expected 'OUT(i,...) = right-hand side'")
    p = _Parser(text)
    lhs = p.access()
    p.take("=")
    rhs = p.expr()
    if p.peek() is not None:
        raise InputError(f"expression {text!r}: unexpected {p.toks[p.k][1]!r} after the expression")
    found = accesses(rhs)
    if not found:
        raise InputError(f"expression {text!r}: the right-hand side uses no tensor")
    orders, uses = {}, {}
    for a in found:
        if a.name == lhs.name:
            raise InputError(f"expression {text!r}: output {a.name} also appears on the right")
        if a.name in orders and orders[a.name] != len(a.indices):
            raise InputError(f"expression {text!r}: tensor {a.name} is used with "
                             f"{orders[a.name]} and {len(a.indices)} indices")
        orders[a.name] = len(a.indices)
        uses[a.name] = uses.get(a.name, 0) + 1
        a.key = a.name if uses[a.name] == 1 else f"{a.name}@{uses[a.name]}"
    rhs_idx = index_set(rhs)
    for i in lhs.indices:
        if i not in rhs_idx:
            raise InputError(f"expression {text!r}: output index {i} is not used on the right")
    order_seen = []
    for a in found:
        order_seen += [i for i in a.indices if i not in order_seen]
    reductions = [i for i in order_seen if i not in lhs.indices]
    return Statement(text, lhs.name, lhs.indices, _place(rhs, reductions), found)


def parse_order(order, statement: Statement) -> tuple:
    """A loop order (``"ikj"`` or ``"i,k,j"``); must name every index exactly once."""
    indices = statement.indices
    if order is None or order == "":
        return tuple(statement.out_indices) + tuple(statement.reductions)
    if isinstance(order, str):
        parts = order.split(",") if "," in order else list(order)
    else:
        parts = list(order)
    parts = [p.strip() for p in parts if p.strip()]
    missing = [i for i in indices if i not in parts]
    extra = [p for p in parts if p not in indices]
    if missing:
        raise InputError(f"order {order!r}: missing index {', '.join(missing)}")
    if extra:
        raise InputError(f"order {order!r}: index {', '.join(extra)} is not in the expression")
    if len(set(parts)) != len(parts):
        raise InputError(f"order {order!r}: an index appears twice")
    return tuple(parts)
