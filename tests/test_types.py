"""Value kinds (parse/detectors/types.py) from small snippets."""

from __future__ import annotations

import ast
import textwrap

from mldebt.parse.detectors.context import FileContext

SNIPPET = """
import pandas as pd, numpy as np, torch
from torch import nn
from sklearn.preprocessing import StandardScaler
from sklearn.model_selection import train_test_split

def load(p) -> pd.DataFrame:
    return pd.read_csv(p)

def helper(p):
    return load(p).dropna()

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
    def forward(self, x):
        return self.fc(x)

df = helper("a.csv")
s = df["a"]
X = df[["a", "b"]].values
Xtr, Xte, ytr, yte = train_test_split(X, s)
sc = StandardScaler().fit(Xtr)
Z = sc.transform(Xte)
net = Net().to("cpu")
out = net(torch.randn(3))
opt = torch.optim.Adam(net.parameters())
df = 3
print(df, s, X, Xtr, ytr, sc, Z, net, out, opt)
"""


def _kinds(src: str) -> dict[tuple[int, str], str | None]:
    tree = ast.parse(textwrap.dedent(src))
    ctx = FileContext("a.py", "a", src, tree)
    out: dict[tuple[int, str], str | None] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            name = ctx.dotted(node)
            if name:
                out[(node.lineno, name)] = ctx.types.kind_of(node)
    return out


def test_kinds_follow_constructors_methods_returns_and_order() -> None:
    k = _kinds(SNIPPET)
    assert k[(21, "df")] == "dataframe"  # helper() -> load().dropna() -> annotated DataFrame
    assert k[(23, "s")] == "series"  # df["a"]
    assert k[(23, "X")] == "array"  # df[[...]].values
    assert k[(24, "Xtr")] == "array"  # train_test_split keeps its inputs' kinds
    assert k[(30, "ytr")] == "series"
    assert k[(25, "sc")] == "estimator"  # StandardScaler().fit() returns the estimator
    assert k[(30, "Z")] == "array"  # transform
    assert k[(28, "net")] == "torch-module"  # a project class subclassing nn.Module; .to() keeps it
    assert k[(18, "self.fc")] == "torch-module"  # self attributes across methods
    assert k[(30, "out")] == "tensor"  # calling a module gives a tensor
    assert k[(30, "opt")] == "optimizer"
    assert k[(30, "df")] is None  # rebound to an int above: the latest binding wins


def test_unknown_names_are_none() -> None:
    k = _kinds("import pandas\nx = something()\nprint(x)\ny = pandas.read_csv('a')\nprint(y)\n")
    assert k[(3, "x")] is None
    assert k[(5, "y")] == "dataframe"
