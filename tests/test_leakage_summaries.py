"""Leakage function summaries (parse/detectors/leakflow.py) and their application across modules
(graph/leakage.py): what a summary records, that it survives the cache, that statement order and
context hold at call sites, and that helpers calling helpers (or themselves) stay bounded."""

from __future__ import annotations

from pathlib import Path

from helpers import actual, scan, write

from mldebt.parse.cache import decode_facts, encode_facts
from mldebt.parse.facts import LeakEvent, LeakSummary, Span
from mldebt.parse.python import python_facts

HELPERS = """\
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder, StandardScaler


def scale(df):
    return StandardScaler().fit_transform(df)


def encode(col):
    return LabelEncoder().fit_transform(col)


def split(X, y):
    return train_test_split(X, y, test_size=0.2, random_state=0)


def join(train, test):
    return pd.concat([train, test])


class Steps:
    def __init__(self, X):
        self.X = X
        self.scaler = StandardScaler()

    def fit(self):
        self.X = self.scaler.fit_transform(self.X)
"""


def summaries(code: str, rel: str = "features.py") -> dict[str, LeakSummary]:
    facts = python_facts(rel, code, rel[:-3])
    return {s.function: s for s in facts.leak_summaries}


def test_summary_records_what_each_function_does_with_its_parameters() -> None:
    found = summaries(HELPERS)
    assert found["scale"].params == ("df",)
    assert found["scale"].events == (
        LeakEvent(
            "fit",
            Span(7, 12, 7, 46),
            ("@df",),
            "sklearn.preprocessing.StandardScaler",
            "scaler",
            "",
            "StandardScaler().fit_transform(df)",
        ),
    )
    assert found["scale"].returns == (("@df", "fitted:#0"),)
    # a vocabulary encoder is recorded with its kind: applied, it is never a leak
    assert [(e.op, e.kind, e.data) for e in found["encode"].events] == [("fit", "vocabulary", ("@col",))]
    # a split returned directly: train and test of each array, in train_test_split's order
    assert [(e.op, e.data) for e in found["split"].events] == [("split", ("@X", "@y"))]
    assert found["split"].returns == (("@X", "train:#0"), ("@X", "test:#0"), ("@y", "train:#0"), ("@y", "test:#0"))
    assert found["join"].returns == (("@test", "@train", "transductive"),)
    # a method: the fit on `self.scaler` is shared with the class's other methods, `self.X` is left fitted
    fit = found["Steps.fit"]
    assert [(e.op, e.obj, e.data) for e in fit.events] == [("fit", "self.scaler", ("@self.X",))]
    assert fit.attrs == (("self.X", ("@self.X", "fitted:#0")),)


def test_summaries_survive_the_cache() -> None:
    facts = python_facts("features.py", HELPERS, "features")
    assert facts.leak_summaries
    assert decode_facts(encode_facts(facts)) == facts


def test_imported_calls_are_recorded_in_statement_order_with_their_arguments() -> None:
    code = """\
import pandas as pd
from sklearn.model_selection import train_test_split
from features import scale

df = pd.read_csv("d.csv")
X_tr, X_te = train_test_split(df, random_state=0)
X_tr = scale(X_tr)
"""
    script = summaries(code, "train.py")["<module>"]
    assert [(e.op, e.cls) for e in script.events] == [("split", ""), ("call", "features.scale")]
    call = script.events[1]
    assert call.args == (("0", ("src", "train:#0")),)  # the train side, split before the call


def test_statement_order_and_call_sites_across_modules(tmp_path: Path) -> None:
    train = """\
import pandas as pd
from sklearn.model_selection import train_test_split

from features import scale

df = pd.read_csv("d.csv")
A_tr, A_te = train_test_split(df, random_state=0)
A_tr = scale(A_tr)
B = scale(df)
B_tr, B_te = train_test_split(B, random_state=0)
"""
    root = write(tmp_path, {"features.py": HELPERS, "train.py": train})
    found = actual(scan(root, select=["MLD801", "MLD805"]))
    # the first call is on the train side, after the split: no leak; the second call's fit reaches a split
    assert found == {("train.py", 9, "MLD801")}


def test_helpers_calling_helpers_and_themselves_stay_bounded(tmp_path: Path) -> None:
    chain = ["from sklearn.preprocessing import StandardScaler", "", ""]
    chain.append("def step0(X):\n    return StandardScaler().fit_transform(X)\n\n")
    chain.extend(f"def step{i}(X):\n    return step{i - 1}(X)\n\n" for i in range(1, 30))
    chain.append("def ping(X):\n    return pong(X)\n\n\ndef pong(X):\n    return ping(X)\n")
    files = {"chain.py": "\n".join(chain)}
    # across modules: hop0 fits, hopN calls hop(N-1) in another module
    files["hop0.py"] = (
        "from sklearn.preprocessing import StandardScaler\n\n\ndef hop(X):\n    return StandardScaler().fit_transform(X)\n"
    )
    for i in range(1, 7):
        files[f"hop{i}.py"] = f"import hop{i - 1}\n\n\ndef hop(X):\n    return hop{i - 1}.hop(X)\n"
    files["train.py"] = """\
import pandas as pd
from sklearn.model_selection import train_test_split

import hop2
import hop6
from chain import ping, step3, step29

df = pd.read_csv("d.csv")
X = step3(df)
X_tr, X_te = train_test_split(X, random_state=0)
Y = step29(df)
Y_tr, Y_te = train_test_split(Y, random_state=0)
Z = ping(df)
Z_tr, Z_te = train_test_split(Z, random_state=0)
H = hop2.hop(df)
H_tr, H_te = train_test_split(H, random_state=0)
G = hop6.hop(df)
G_tr, G_te = train_test_split(G, random_state=0)
"""
    root = write(tmp_path, files)
    # one file's helpers are summarised callees first, so a chain of any length in one file is followed;
    # ping/pong recurse and are cut; across modules, 3 hops are followed and 7 exceed the bound
    # (no finding rather than a guess)
    assert actual(scan(root, select=["MLD801"])) == {
        ("train.py", 9, "MLD801"),
        ("train.py", 11, "MLD801"),
        ("train.py", 15, "MLD801"),
    }


def test_calls_that_cannot_matter_are_dropped_and_the_rest_renumbered() -> None:
    code = """\
import pandas as pd
from sklearn.model_selection import train_test_split
from tools import Prep, log, scale

log("start")
df = pd.read_csv("d.csv")
X = scale(df)
p = Prep(df)
p.run()
a, b = train_test_split(X, random_state=0)
"""
    script = summaries(code, "train.py")["<module>"]
    # `log("start")`: a constant in, nothing used out; `p.run()` stays: it names its instance
    assert [(e.op, e.cls, e.obj, e.args) for e in script.events] == [
        ("call", "tools.scale", "0", (("0", ("src",)),)),
        ("call", "tools.Prep", "1", (("0", ("src",)),)),
        ("call", "tools.Prep.run", "2", (("self", ("obj:1",)),)),
        ("split", "", "", ()),
    ]
    assert "ret:0" in script.events[3].data


def test_args_and_kwargs_are_forwarded_element_by_element(tmp_path: Path) -> None:
    helpers = """\
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def fit_scaler(df, with_mean=True):
    return StandardScaler(with_mean=with_mean).fit_transform(df)


def scaled(*args, **kwargs):
    return fit_scaler(*args, **kwargs)


def first(*args):
    return fit_scaler(args[0])


def split(*arrays, **kwargs):
    return train_test_split(*arrays, **kwargs)
"""
    found = summaries(helpers, "helpers.py")
    assert (found["scaled"].star, found["scaled"].dstar) == ("args", "kwargs")
    # the fit sees the wrapper's first positional argument (or its `df` keyword), nothing else
    assert [e.data for e in found["scaled"].events] == [("@args[0]", "@kwargs[df]")]
    assert [e.data for e in found["first"].events] == [("@args[0]",)]
    assert found["split"].returns[:2] == (("@arrays[0]", "train:#0"), ("@arrays[0]", "test:#0"))
    train = """\
import pandas as pd
from sklearn.model_selection import train_test_split

from helpers import first, scaled, split

df = pd.read_csv("d.csv")
a_tr, a_te = train_test_split(df, random_state=0)
a_tr = scaled(a_tr)
a_fit, a_val = train_test_split(a_tr, random_state=0)
b_tr, b_te = train_test_split(df, random_state=0)
b_te = scaled(b_te)
c = first(df, b_te)
c_tr, c_te = split(c, random_state=0)
d = scaled(df=df)
d_tr, d_te = split(d)
"""
    root = write(tmp_path, {"helpers.py": helpers, "train.py": train})
    # the train side through the wrapper is no leak; the test side is a refit; the rows the
    # caller passes reach the splits inside `split()` (positionally and by keyword)
    assert actual(scan(root, select=["MLD801", "MLD805"])) == {
        ("train.py", 11, "MLD805"),
        ("train.py", 12, "MLD801"),
        ("train.py", 14, "MLD801"),
    }


def test_estimators_kept_in_dicts_and_lists_are_tracked_one_by_one(tmp_path: Path) -> None:
    code = """\
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

df = pd.read_csv("d.csv")
X_tr, X_te = train_test_split(df, random_state=0)
steps = {"scale": StandardScaler(), "pca": PCA(n_components=2)}
A = steps["scale"].fit_transform(X_tr)
B = steps["scale"].fit_transform(X_te)
preps = [StandardScaler()]
preps[0].fit(X_tr)
preps = [StandardScaler()]
C = preps[0].fit_transform(df)
C_tr, C_te = train_test_split(C, random_state=0)
steps["pca"] = PCA(n_components=3).fit(X_te)
"""
    root = write(tmp_path, {"train.py": code})
    # a refit of the dict's scaler on the test side; the list rebound holds a new scaler, fit on
    # all rows before a split; a PCA stored under a key and fit on a test side, as a variable would be
    assert actual(scan(root, select=["MLD801", "MLD805"])) == {
        ("train.py", 10, "MLD805"),
        ("train.py", 14, "MLD801"),
        ("train.py", 16, "MLD805"),
    }


def test_a_method_called_on_a_handed_object_is_left_to_the_caller() -> None:
    code = """\
def build(builder, frame, model):
    builder.fit(frame)
    model.predict(frame)
    return builder.transform(frame)
"""
    found = summaries(code, "steps.py")["build"]
    # the caller knows what `builder` is (an estimator, a project class's instance): the fit and
    # transform are recorded on the parameter, with the rows they see; other methods are not
    # (the fit is also the caller's model's fit for MLD803/MLD804: `mfit` of `@model`)
    assert [(e.op, e.cls, e.args) for e in found.events] == [
        ("call", "@builder.fit", (("self", ("@builder",)), ("0", ("@frame",)))),
        ("mfit", "@model", ()),
        ("call", "@builder.transform", (("self", ("@builder",)), ("0", ("@frame",)))),
    ]
    # what it returns: the caller's result of the transform, and the rows of its argument
    # (`builder`, fit like a model, is the caller's object, not rows of this function)
    assert found.returns == (("@frame", "ret:2"),)


def test_a_returned_dict_keeps_its_entries_apart(tmp_path: Path) -> None:
    data = """\
import pandas as pd
from sklearn.model_selection import train_test_split


def make_splits(df):
    X_tr, X_te = train_test_split(df, random_state=0)
    return {"train": {"X": X_tr}, "test": {"X": X_te}}
"""
    found = summaries(data, "data.py")["make_splits"]
    assert dict(found.keys) == {
        "train": ("@df", "train:#0"),
        "train/X": ("@df", "train:#0"),
        "test": ("@df", "test:#0"),
        "test/X": ("@df", "test:#0"),
    }
    train = """\
import pandas as pd
from imblearn.over_sampling import SMOTE
from sklearn.preprocessing import StandardScaler

from data import make_splits

d = make_splits(pd.read_csv("d.csv"))
a = StandardScaler().fit_transform(d["train"]["X"])
b = StandardScaler().fit_transform(d["test"]["X"])
c, _ = SMOTE().fit_resample(d["train"]["X"], d["train"]["y"])
"""
    root = write(tmp_path, {"data.py": data, "train.py": train})
    # the test entry alone is a test side; the train entry (and one the helper did not return) is not
    assert actual(scan(root, select=["MLD801", "MLD802", "MLD805"])) == {("train.py", 9, "MLD805")}
