# Writes ONNX's backend node tests (model.onnx + test_data_set_0/*.pb per
# test) into the folder given, with Debian's python3-onnx (1.12). Its
# generators still use aliases NumPy 1.24 removed; they are restored here.
# shared/engine's conformance test runs it: /usr/bin/python3 this DIR
import sys
import warnings

import numpy as np

warnings.simplefilter("ignore")
for name, t in (("float", float), ("int", int), ("bool", bool), ("object", object), ("complex", complex), ("str", str)):
    if name not in np.__dict__:
        setattr(np, name, t)
from onnx.backend.test import cmd_tools  # noqa: E402

sys.argv = ["cmd_tools", "generate-data", "-o", sys.argv[1]]
cmd_tools.main()
