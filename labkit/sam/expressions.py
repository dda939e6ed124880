"""The expressions DESIGN.md asks SAM to handle, with the shapes of a random instance."""

from __future__ import annotations

# name -> (expression, {tensor: shape}); shapes are small so every order simulates quickly
DESIGN_EXPRESSIONS = {
    "SpMV": ("x(i)=B(i,j)*c(j)", {"B": (40, 50), "c": (50,)}),
    "SpM*SpM": ("X(i,j)=B(i,k)*C(k,j)", {"B": (30, 40), "C": (40, 35)}),
    "SDDMM": ("X(i,j)=B(i,j)*C(i,k)*D(j,k)", {"B": (30, 35), "C": (30, 8), "D": (35, 8)}),
    "InnerProd": ("x=B(i,j,k)*C(i,j,k)", {"B": (8, 9, 10), "C": (8, 9, 10)}),
    "TTV": ("X(i,j)=B(i,j,k)*c(k)", {"B": (8, 9, 10), "c": (10,)}),
    "TTM": ("X(i,j,k)=B(i,j,l)*C(k,l)", {"B": (8, 9, 10), "C": (7, 10)}),
    "MTTKRP": ("X(i,j)=B(i,k,l)*C(j,k)*D(j,l)", {"B": (8, 9, 10), "C": (7, 9), "D": (7, 10)}),
    "Plus3": ("X(i,j)=B(i,j)+C(i,j)+D(i,j)", {"B": (30, 35), "C": (30, 35), "D": (30, 35)}),
    "Residual": ("x(i)=b(i)-C(i,j)*d(j)", {"b": (40,), "C": (40, 50), "d": (50,)}),
    "MatTransMul": ("x(i)=a*B(j,i)*c(j)+d(i)", {"a": (), "B": (50, 40), "c": (50,), "d": (40,)}),
    "VecElemAdd": ("x(i)=b(i)+c(i)", {"b": (200,), "c": (200,)}),
    "VecElemMul": ("x(i)=b(i)*c(i)", {"b": (200,), "c": (200,)}),
    "MatElemAdd": ("X(i,j)=B(i,j)+C(i,j)", {"B": (30, 35), "C": (30, 35)}),
    "MatElemMul": ("X(i,j)=B(i,j)*C(i,j)", {"B": (30, 35), "C": (30, 35)}),
    "TensorElemAdd": ("X(i,j,k)=B(i,j,k)+C(i,j,k)", {"B": (8, 9, 10), "C": (8, 9, 10)}),
    "TensorElemMul": ("X(i,j,k)=B(i,j,k)*C(i,j,k)", {"B": (8, 9, 10), "C": (8, 9, 10)}),
}

SPMSPM_DATAFLOWS = {"ijk": "inner product", "jik": "inner product (T)", "ikj": "Gustavson",
                    "jki": "Gustavson (T)", "kij": "outer product", "kji": "outer product (T)"}


def random_inputs(shapes: dict, density: float, seed: int = 0) -> dict:
    """Random tensors for ``shapes`` (a scalar gets 2.5)."""
    from labkit.sam.generate import random_tensor

    return {name: (2.5 if shape == () else random_tensor(shape, density, seed + k))
            for k, (name, shape) in enumerate(shapes.items())}
