"""MLD803 and MLD804 through helpers: what a summary records of a model it is given (its fits,
evaluations, returned scores, hand-offs), that it survives the cache and the pruning of calls,
and exact findings for call shapes the fixture projects do not hold (a notebook calling a helper
module, a method of the caller's own class, a helper handing the model to another module)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import actual, scan, write

from mldebt.parse.cache import decode_facts, encode_facts
from mldebt.parse.facts import LeakSummary
from mldebt.parse.python import python_facts

EVALUATE = """\
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import cross_val_score

from tools import log


def evaluate(model, X_train, y_train, X_test, y_test):
    log("fitting")
    model.fit(X_train, y_train)
    return accuracy_score(y_test, model.predict(X_test))


def report(model, X, y):
    print(type(model).__name__, model.score(X, y))
    return model


def cross_validated(model, X, y):
    model.fit(X, y)
    print(model.score(X, y))
    return cross_val_score(model, X, y).mean()


def forest(depth, X_tr, y_tr, X_te, y_te):
    clf = RandomForestClassifier(max_depth=depth)
    clf.fit(X_tr, y_tr)
    return clf.score(X_tr, y_tr), clf.score(X_te, y_te)


def compare(models, X_tr, y_tr, X_te, y_te):
    out = {}
    for name, m in models.items():
        m.fit(X_tr, y_tr)
        out[name] = m.score(X_te, y_te)
    return out
"""


def summaries(code: str, rel: str = "evaluate.py") -> dict[str, LeakSummary]:
    facts = python_facts(rel, code, rel[:-3])
    return {s.function: s for s in facts.leak_summaries}


def model_steps(summary: LeakSummary) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [(e.op, e.obj, e.kind, e.data) for e in summary.events if e.op in ("mfit", "eval", "hand")]


def test_summary_records_what_a_helper_does_with_a_model() -> None:
    found = summaries(EVALUATE)
    # fit on the train parameters, scored on the test parameters, that score returned
    evaluate = found["evaluate"]
    assert model_steps(evaluate) == [
        ("mfit", "@model", "", ("@X_train", "@y_train")),
        ("eval", "@model", "", ("@X_test", "@y_test")),
    ]
    scored = next(i for i, e in enumerate(evaluate.events) if e.op == "eval")
    assert evaluate.returns == ((f"score:#{scored}",),)
    # returned to the caller: handed on (`type(model)` only looks at it)
    assert model_steps(found["report"]) == [("eval", "@model", "", ("@X", "@y")), ("hand", "@model", "", ())]
    # cross-validated: handed on, whatever it scored before
    assert model_steps(found["cross_validated"])[-1] == ("hand", "@model", "", ())
    # a model made inside; each element of the returned tuple is its own score
    steps = model_steps(found["forest"])
    assert [s[:2] for s in steps] == [("mfit", "local:clf"), ("eval", "local:clf"), ("eval", "local:clf")]
    assert found["forest"].returns == (("score:#1",), ("score:#2",))
    # candidates of a parameter's dict, fit and scored in one loop
    assert model_steps(found["compare"]) == [
        ("mfit", "local:m", "", ("@X_tr", "@y_tr")),
        ("eval", "local:m", "loop", ("@X_te", "@y_te")),
    ]


def test_model_steps_survive_the_cache_and_the_pruning_of_calls() -> None:
    facts = python_facts("evaluate.py", EVALUATE, "evaluate")
    assert decode_facts(encode_facts(facts)) == facts
    evaluate = {s.function: s for s in facts.leak_summaries}["evaluate"]
    # `log("fitting")` cannot matter to another module and is dropped: the returned score still
    # names the evaluation
    assert [e.op for e in evaluate.events] == ["call", "mfit", "eval"]  # `call`: the fit, for a handed preprocessor
    assert evaluate.returns == (("score:#2",),)


def notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": c}
                for c in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def test_a_notebook_calling_a_helper_module(tmp_path: Path) -> None:
    nb = notebook(
        "import pandas as pd\n"
        "from sklearn.model_selection import train_test_split\n"
        "from sklearn.tree import DecisionTreeClassifier\n"
        "from sklearn.svm import SVC\n"
        "from evaluate import evaluate, report",
        'df = pd.read_csv("data/iris.csv")\n'
        'X, y = df.drop(columns=["species"]), df["species"]\n'
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
        "scores = {}\n"
        "for name, model in {'tree': DecisionTreeClassifier(), 'svm': SVC()}.items():\n"
        "    scores[name] = evaluate(model, X_train, y_train, X_test, y_test)\n"
        "best = max(scores, key=scores.get)",
        "final = DecisionTreeClassifier().fit(X_train, y_train)\nreport(final, X_train, y_train)",
    )
    root = write(tmp_path, {"evaluate.py": EVALUATE, "tools.py": "def log(m):\n    print(m)\n", "nb.ipynb": nb})
    # `report` returns the model to the caller: it may be evaluated elsewhere, so no MLD804
    assert actual(scan(root, select=["MLD803", "MLD804"])) == {("nb.ipynb", 3, "MLD803")}


def test_a_method_of_the_callers_own_class_and_a_helper_handing_the_model_on(tmp_path: Path) -> None:
    trainer = """\
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import r2_score

from reporting import log_model


class Trainer:
    def __init__(self, path):
        self.path = path

    def score(self, model, X, y):
        return r2_score(y, model.predict(X))

    def publish(self, model, X, y):
        log_model(model, X, y)

    def run(self):
        df = pd.read_parquet(self.path)
        X, y = df.drop(columns=["y"]), df["y"]
        gbr = GradientBoostingRegressor().fit(X, y)
        print("R2", self.score(gbr, X, y))
        other = GradientBoostingRegressor().fit(X, y)
        self.publish(other, X, y)
        print("R2", self.score(other, X, y))
"""
    reporting = """\
from sklearn.metrics import r2_score


def log_model(model, X, y):
    print(r2_score(y, model.predict(X)))
"""
    root = write(tmp_path, {"trainer.py": trainer, "reporting.py": reporting})
    # `publish` passes the model on to another module's helper: not followed, so not reported
    assert actual(scan(root, select=["MLD804"])) == {("trainer.py", 22, "MLD804")}


def test_another_modules_helper_that_scores_elsewhere_is_no_finding(tmp_path: Path) -> None:
    helpers = """\
import pandas as pd
from sklearn.metrics import accuracy_score


def holdout_accuracy(model, path):
    held = pd.read_csv(path)
    return accuracy_score(held["y"], model.predict(held.drop(columns=["y"])))
"""
    train = """\
import pandas as pd
from sklearn.linear_model import LogisticRegression

from helpers import holdout_accuracy

df = pd.read_csv("train.csv")
lr = LogisticRegression().fit(df.drop(columns=["y"]), df["y"])
print(lr.score(df.drop(columns=["y"]), df["y"]))
print(holdout_accuracy(lr, "holdout.csv"))
"""
    root = write(tmp_path, {"helpers.py": helpers, "train.py": train})
    # the training score beside a score on rows the helper reads itself
    assert actual(scan(root, select=["MLD804"])) == set()


def test_parts_of_a_returned_dict_named_as_splits_are_different_rows(tmp_path: Path) -> None:
    utils = """\
from sklearn.metrics import accuracy_score


def print_score(clf, X_train, y_train, X_val, y_val, train=True):
    if train:
        print(accuracy_score(y_train, clf.predict(X_train)))
    else:
        print(accuracy_score(y_val, clf.predict(X_val)))


def train_score(clf, X, y):
    print(accuracy_score(y, clf.predict(X)))
"""
    train = """\
import pandas as pd
from sklearn.linear_model import LogisticRegression

from preprocess import split_frame
from utils import print_score, train_score

data = split_frame(pd.read_csv("data.csv"))
X_train, y_train = data["X_train"], data["y_train"]
X_val, y_val = data["X_val"], data["y_val"]
lr = LogisticRegression().fit(X_train, y_train)
print_score(lr, X_train, y_train, X_val, y_val, train=True)
print_score(lr, X_train, y_train, X_val, y_val, train=False)
only = LogisticRegression().fit(X_train, y_train)
train_score(only, X_train, y_train)
"""
    preprocess = "def split_frame(df):\n    return {'X_train': df, 'y_train': df, 'X_val': df, 'y_val': df}\n"
    root = write(tmp_path, {"utils.py": utils, "train.py": train, "preprocess.py": preprocess})
    # `print_score` may score the validation rows (`data["X_val"]` are not `data["X_train"]`)
    assert actual(scan(root, select=["MLD804"])) == {("train.py", 14, "MLD804")}
