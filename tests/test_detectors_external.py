"""Detectors of MLD601, MLD602, MLD701 and MLD706 (their rule modules) on small snippets."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable, Iterable

import pytest

from mldebt.config import ConfigError
from mldebt.parse.detectors.context import FileContext
from mldebt.parse.facts import KeyUse, Smell, Summary
from mldebt.rules import (
    mld601_fixed_threshold,
    mld602_unmonitored_prediction,
    mld701_unvalidated_external_data,
    mld706_self_admitted_debt,
)
from mldebt.rules.mld601_fixed_threshold import FixedThreshold
from mldebt.rules.mld701_unvalidated_external_data import UnvalidatedExternalData
from mldebt.rules.mld706_self_admitted_debt import SelfAdmittedDebt

Detector = Callable[[FileContext], Iterable[Smell | KeyUse]]


def run(detector: Detector, code: str, rel: str = "app.py") -> list[Smell]:
    text = textwrap.dedent(code)
    ctx = FileContext(rel, rel.removesuffix(".py").replace("/", "."), text, ast.parse(text), rel.endswith(".ipynb"))
    return [s for s in detector(ctx) if isinstance(s, Smell)]


def lines(detector: Detector, code: str, rel: str = "app.py") -> list[int]:
    return [s.span.line for s in run(detector, code, rel)]


# ------------------------------------------------------------------------------------ MLD601

SK = """
import numpy as np
from sklearn.linear_model import LogisticRegression
clf = LogisticRegression().fit(X, y)
"""


@pytest.mark.parametrize(
    "code",
    [
        "proba = clf.predict_proba(X)[:, 1]\nflag = proba > 0.73\n",
        "flag = clf.predict_proba(X)[:, 1] >= 0.73\n",
        "labels = np.where(clf.predict_proba(X)[:, 1] > 0.73, 1, 0)\n",
        "THRESH = 0.62\nflag = clf.predict_proba(X)[:, 1] > THRESH\n",
        "s = clf.decision_function(X)\nflag = s > -1.5\n",
        "flag = [1 if p > 0.8 else 0 for p in clf.predict_proba(X)[:, 1]]\n",
        "for p in clf.predict_proba(X)[:, 1]:\n    if p < 0.2:\n        print(p)\n",
        "flag = 0.9 < clf.predict_proba(X).max(axis=1)\n",
    ],
)
def test_fixed_threshold_on_sklearn(code: str) -> None:
    assert len(run(mld601_fixed_threshold.detect, SK + code)) == 1


def test_fixed_threshold_in_function_with_module_constant() -> None:
    code = SK + "CUTOFF = 0.7\n\ndef decide(model, X):\n    p = model.predict_proba(X)[:, 1]\n    return p > CUTOFF\n"
    smells = run(mld601_fixed_threshold.detect, code)
    assert [s.span.line for s in smells] == [9]
    assert "`CUTOFF` = 0.7 (line 5)" in smells[0].message


def test_fixed_threshold_on_torch() -> None:
    code = """
    import torch
    from torch import nn
    class Net(nn.Module):
        pass
    net = Net()
    def predict(model, x):
        logits = model(x)
        probs = torch.sigmoid(logits)
        return (probs > 0.35).long()
    out = net(x).sigmoid() > 0.4
    """
    assert sorted(lines(mld601_fixed_threshold.detect, code)) == [10, 11]


@pytest.mark.parametrize(
    "code",
    [
        "loss = 0.3\nif loss < 0.01:\n    pass\n",  # a loss, not a score
        "acc = (clf.predict(X) == y).mean()\nif acc > 0.9:\n    pass\n",  # a metric
        "p = np.clip(clf.predict_proba(X), 0.01, 0.99)\n",
        "flag = clf.decision_function(X) > 0\n",  # the sign is the default rule
        "flag = clf.predict(X) == 1\n",  # a label, not a threshold
        "def f(X, threshold=0.7):\n    return clf.predict_proba(X)[:, 1] > threshold\n",  # a parameter
        "t = args.threshold\nflag = clf.predict_proba(X)[:, 1] > t\n",
        "flag = clf.predict_proba(X)[:, 1] > cfg['threshold']\n",
        "prec, rec, th = precision_recall_curve(y, clf.predict_proba(X)[:, 1])\nt = th[np.argmax(prec)]\n"
        "flag = clf.predict_proba(X)[:, 1] > t\n",
        "for t in [0.3, 0.6, 0.9]:\n    flag = clf.predict_proba(X)[:, 1] > t\n",  # a sweep
        "flag = clf.predict_proba(X)[:, 1] > 1\n",  # out of range for a probability
        "x = df['p'] > 0.7\n",
        "score = clf.score(X, y)\nif score > 0.8:\n    pass\n",
        "T = 0.7\nT = 0.8\nflag = clf.predict_proba(X)[:, 1] > T\n",  # set twice: not one hand-set value
        "p = clf.predict_proba(X)[:, 1]\nbin_ = (p > 0.5) & (p < 0.6)\n",  # a calibration bin
        "p = clf.predict_proba(X)[:, 1]\nbin_ = 0.6 <= p < 0.7\n",
    ],
)
def test_fixed_threshold_lookalikes(code: str) -> None:
    assert run(mld601_fixed_threshold.detect, SK + code) == []


def test_fixed_threshold_half_is_reported_and_ignored_by_default() -> None:
    smells = run(mld601_fixed_threshold.detect, SK + "flag = clf.predict_proba(X)[:, 1] > 0.5\n")
    assert len(smells) == 1
    assert not FixedThreshold().accept(smells[0])
    assert FixedThreshold({"ignore-values": []}).accept(smells[0])


def test_fixed_threshold_not_on_functions_named_like_models() -> None:
    code = """
    import torch
    from models import build_model
    def get_model():
        return None
    a = build_model(x) > 0.3
    b = get_model(x) > 0.3
    """
    # `build_model` is another module's: whether it returns scores is the project phase's question
    found = [(s.span.line, dict(s.data).get("callee")) for s in run(mld601_fixed_threshold.detect, code)]
    assert found == [(6, "models.build_model")]


# ------------------------------------------------------------------------------------ MLD602

FLASK = """
import pickle
from flask import Flask, request, jsonify
model = pickle.load(open("m.bin", "rb"))
app = Flask("svc")
"""


def test_unmonitored_prediction_flask() -> None:
    code = FLASK + (
        "@app.route('/predict', methods=['POST'])\ndef serve():\n"
        "    x = request.get_json()\n    pred = model.predict([x['f']])\n    return jsonify(float(pred[0]))\n"
    )
    assert lines(mld602_unmonitored_prediction.detect, code) == [9]


def test_unmonitored_prediction_through_helper() -> None:
    code = FLASK + (
        "def predict(features):\n    return model.predict(features)\n\n"
        "@app.route('/predict', methods=['POST'])\ndef serve():\n"
        "    pred = predict(request.get_json())\n    return jsonify(pred)\n"
    )
    smells = run(mld602_unmonitored_prediction.detect, code)
    assert [s.span.line for s in smells] == [11]
    assert "`model.predict` output (line 7)" in smells[0].message


def test_unmonitored_prediction_lambda_handler() -> None:
    code = "import joblib\nmodel = joblib.load('m')\ndef lambda_handler(event, context):\n"
    code += "    return {'p': model.predict(event['x']).tolist()}\n"
    assert lines(mld602_unmonitored_prediction.detect, code) == [4]


@pytest.mark.parametrize(
    "body",
    [
        "    x = request.get_json()\n    logger.info('request %s', x)\n    return jsonify(model.predict(x))\n",
        "    x = request.get_json()\n    logging.info('request %s', x)\n    return jsonify(model.predict(x))\n",
        "    x = request.get_json()\n    if 'f' not in x:\n        raise ValueError(x)\n    return jsonify(model.predict(x))\n",
        "    x = request.get_json()\n    assert x\n    return jsonify(model.predict(x))\n",
        "    x = request.get_json()\n    return jsonify(np.clip(model.predict(x), 0, 60))\n",
        "    x = validate_payload(request.get_json())\n    return jsonify(model.predict(x))\n",
        "    p = model.predict(request.get_json())\n    if p[0] > 100:\n        p[0] = 100\n    return jsonify(p)\n",
        "    return 'ok'\n",  # no prediction
        "    x = request.get_json()\n    print(x)\n    return jsonify(model.predict(x))\n",
    ],
)
def test_unmonitored_prediction_lookalikes(body: str) -> None:
    code = FLASK + "import logging\nlogger = logging.getLogger()\n"
    code += f"@app.route('/predict', methods=['POST'])\ndef serve():\n{body}"
    assert run(mld602_unmonitored_prediction.detect, code) == []


def test_unmonitored_prediction_pydantic_body_and_batch_scripts() -> None:
    fastapi = """
    from fastapi import FastAPI
    from pydantic import BaseModel
    app = FastAPI()
    class Ride(BaseModel):
        distance: float
    @app.post("/predict")
    def serve(ride: Ride):
        return {"p": float(model.predict([[ride.distance]])[0])}
    """
    assert run(mld602_unmonitored_prediction.detect, fastapi) == []
    batch = "import pandas as pd\ndef predict(df):\n    return model.predict(df)\n"
    assert run(mld602_unmonitored_prediction.detect, batch) == []
    monitored = "from prometheus_client import Counter\n" + FLASK
    monitored += "@app.route('/p')\ndef serve():\n    return jsonify(model.predict(request.get_json()))\n"
    assert run(mld602_unmonitored_prediction.detect, monitored) == []
    assert (
        run(
            mld602_unmonitored_prediction.detect, FLASK + "@app.route('/p')\ndef serve():\n    return 1\n", "tests/x.py"
        )
        == []
    )


# ------------------------------------------------------------------------------------ MLD701

PD = "import pandas as pd\nfrom sklearn.ensemble import RandomForestClassifier\n"


@pytest.mark.parametrize(
    "code",
    [
        "df = pd.read_csv('d.csv')\nX, y = df.drop(columns='y'), df['y']\nRandomForestClassifier().fit(X, y)\n",
        "def train(path):\n    df = pd.read_parquet(path)\n    m = RandomForestClassifier()\n    m.fit(df[['a']], df.y)\n",
        "import xgboost as xgb\ndtrain = xgb.DMatrix(pd.read_csv('d.csv'))\nbst = xgb.train({}, dtrain)\n",
        "import numpy as np\nX = np.load('x.npy')\nm = RandomForestClassifier()\nm.fit(X=X, y=yy)\n",
        "m = load()\nout = m.predict(pd.read_csv('new.csv'))\n",
    ],
)
def test_unvalidated_external_data(code: str) -> None:
    assert len(run(mld701_unvalidated_external_data.detect, PD + code)) == 1


def test_unvalidated_external_data_reports_the_model_fit_once() -> None:
    code = PD + (
        "from sklearn.preprocessing import StandardScaler\n"
        "df = pd.read_csv('d.csv')\nsc = StandardScaler()\nsc.fit(df)\nX = sc.transform(df)\n"
        "m = RandomForestClassifier()\nm.fit(X, df.y)\nm.predict(X)\n"
    )
    smells = run(mld701_unvalidated_external_data.detect, code)
    assert [s.span.line for s in smells] == [9]
    assert "`m.fit(X, df.y)` trains on data read by `pandas.read_csv` (line 4)" in smells[0].message


@pytest.mark.parametrize(
    "code",
    [
        "df = pd.read_csv('d.csv')\nassert df['y'].notna().all()\nRandomForestClassifier().fit(df[['a']], df.y)\n",
        "df = pd.read_csv('d.csv')\nif df.isna().any().any():\n    raise ValueError('nan')\n"
        "RandomForestClassifier().fit(df[['a']], df.y)\n",
        "df = schema.validate(pd.read_csv('d.csv'))\nRandomForestClassifier().fit(df[['a']], df.y)\n",
        "df = pd.read_csv('d.csv')\ncheck_columns(df)\nRandomForestClassifier().fit(df[['a']], df.y)\n",
        "def load():\n    return pd.read_csv('d.csv')\ndf = load()\nRandomForestClassifier().fit(df[['a']], df.y)\n",
        "from sklearn.datasets import load_iris\nX, y = load_iris(return_X_y=True)\nRandomForestClassifier().fit(X, y)\n",
        "import json\ncfg = json.load(open('c.json'))\nm = RandomForestClassifier(**cfg)\nm.fit(X, y, sample_weight=cfg['w'])\n",
        "df = pd.read_csv('d.csv')\nfrom sklearn.preprocessing import StandardScaler\nStandardScaler().fit(df)\n",
    ],
)
def test_unvalidated_external_data_lookalikes(code: str) -> None:
    assert run(mld701_unvalidated_external_data.detect, PD + code) == []


def test_unvalidated_external_data_pandera_file_and_tests_and_notebook_option() -> None:
    code = "import pandera as pa\n" + PD + "df = pd.read_csv('d.csv')\nRandomForestClassifier().fit(df, df.y)\n"
    assert run(mld701_unvalidated_external_data.detect, code) == []
    plain = PD + "df = pd.read_csv('d.csv')\nRandomForestClassifier().fit(df, df.y)\n"
    assert run(mld701_unvalidated_external_data.detect, plain, "tests/test_train.py") == []
    smells = run(mld701_unvalidated_external_data.detect, plain, "explore.ipynb")
    assert len(smells) == 1
    assert not UnvalidatedExternalData().accept(smells[0])
    assert UnvalidatedExternalData({"scope": "all"}).accept(smells[0])
    with pytest.raises(ConfigError):
        UnvalidatedExternalData({"scope": "everything"})


# ------------------------------------------------------------------------------------ MLD706

ML = "import torch\n"


@pytest.mark.parametrize(
    ("comment", "tag"),
    [
        ("# TODO: tune the learning rate", "TODO"),
        ("# todo: drop leaky column", "TODO"),
        ("# FIXME this breaks on empty batches", "FIXME"),
        ("# HACK around the tokenizer bug", "HACK"),
        ("# XXX: hard-coded mean", "XXX"),
        ("# workaround for TF issue #46858", "workaround"),
        ("# temporary fix until the new schema lands", "temporary"),
        ("x = 1  # TODO(ana): remove", "TODO"),
    ],
)
def test_self_admitted_debt(comment: str, tag: str) -> None:
    smells = run(mld706_self_admitted_debt.detect, ML + comment + "\n")
    assert [dict(s.data)["tag"] for s in smells] == [tag]
    assert SelfAdmittedDebt().accept(smells[0])


@pytest.mark.parametrize(
    "comment",
    [
        "# todos are tracked in the issue tracker",
        "# write to a temporary directory",
        "# the mastodon API",
        "x = 1  # type: ignore",
        "x = 1  # noqa: E501",
        "# pragma: no cover",
        "# Hackathon entry",
        "# Please note that on Windows some users reported issues; another workaround would be this",
        "y = 'TODO'",
    ],
)
def test_self_admitted_debt_lookalikes(comment: str) -> None:
    assert run(mld706_self_admitted_debt.detect, ML + comment + "\n") == []


def test_self_admitted_debt_scope_and_tags() -> None:
    assert run(mld706_self_admitted_debt.detect, "import os\n# TODO: later\n") == []  # no ML library
    assert run(mld706_self_admitted_debt.detect, ML + "# TODO: x\n", "tests/test_model.py") == []
    assert run(mld706_self_admitted_debt.detect, ML + "# TODO: x\n", "third_party/lib/m.py") == []
    smells = run(mld706_self_admitted_debt.detect, ML + "# BUG: off by one\n# TODO: x\n")
    assert [dict(s.data)["tag"] for s in smells] == ["BUG", "TODO"]
    assert [SelfAdmittedDebt().accept(s) for s in smells] == [False, True]
    assert [SelfAdmittedDebt({"tags": ["bug"]}).accept(s) for s in smells] == [True, False]


def test_detectors_survive_odd_code() -> None:
    odd = """
    import torch, pandas as pd
    from flask import Flask
    app = Flask(__name__)
    f = lambda m: m.predict_proba(x)[:, 1] > 0.7
    @app.route
    def h(*a, **k):
        return (yield)
    class C:
        x: int
        def predict(self): return self.predict() > 0.7
    def lambda_handler(event, context):
        async def inner(): ...
        return event
    (a, *b) = pd.read_csv("x"), 1
    a.fit(*b, **{})
    """
    for detector in (
        mld601_fixed_threshold.detect,
        mld602_unmonitored_prediction.detect,
        mld701_unvalidated_external_data.detect,
        mld706_self_admitted_debt.detect,
    ):
        list(detector(FileContext("odd.py", "odd", textwrap.dedent(odd), ast.parse(textwrap.dedent(odd)))))


def test_fixed_threshold_summarises_functions_returning_model_outputs() -> None:
    code = """
    import torch
    from pkg.scoring import score

    def proba(clf, X):
        p = clf.predict_proba(X)
        return p[:, 1]

    def twice(clf, X):
        return proba(clf, X)

    def remote(m, X):
        return score(m, X)

    def size(X):
        return len(X)
    """
    text = textwrap.dedent(code)
    ctx = FileContext("app.py", "app", text, ast.parse(text))
    found = [
        (s.function, s.span.line, s.scale, s.via) for s in mld601_fixed_threshold.detect(ctx) if isinstance(s, Summary)
    ]
    assert found == [("proba", 7, "prob", ""), ("remote", 13, "", "pkg.scoring.score"), ("twice", 10, "prob", "")]


def test_fixed_threshold_comparisons_in_lambdas_do_not_break_the_file() -> None:
    code = """
    from churn.scoring import score
    keep = list(filter(lambda p: p > 0.7, score(model, X)))
    flags = score(model, X) > 0.8
    """
    found = [(s.span.line, dict(s.data).get("callee")) for s in run(mld601_fixed_threshold.detect, code)]
    assert found == [(4, "churn.scoring.score")]
