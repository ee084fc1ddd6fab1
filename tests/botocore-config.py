"""Reads AWS config files with botocore, as the AWS CLI does, for tests/integration/botocore.rs.

Each line of stdin is a JSON string: the text of a config file. For each, one
line of stdout: {"sections": ...}, the result of botocore's raw_config_parse
(section name -> key -> value, or -> name -> value for a nested block);
{"lenient": ...} when botocore refuses the file for a duplicate section or
key, with what raw_config_parse gives when configparser is not strict
(sections merge, a later key wins); or {"error": "..."}, the type of the
error, when botocore refuses it for another reason. The files are written as
UTF-8 bytes, and Python reads them as UTF-8 (PYTHONUTF8=1).
"""

import configparser
import functools
import json
import os
import sys
import tempfile
import types

import awscli  # noqa: F401  (makes `botocore` the copy that the AWS CLI uses)
import botocore.configloader
from botocore.configloader import raw_config_parse
from botocore.exceptions import ConfigParseError

DUPLICATES = (configparser.DuplicateSectionError, configparser.DuplicateOptionError)

# configparser as raw_config_parse sees it, but not strict.
LENIENT = types.SimpleNamespace(
    RawConfigParser=functools.partial(configparser.RawConfigParser, strict=False),
    Error=configparser.Error,
)


def lenient_parse(path):
    strict = botocore.configloader.configparser
    botocore.configloader.configparser = LENIENT
    try:
        return raw_config_parse(path)
    finally:
        botocore.configloader.configparser = strict


def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "config")
        for line in sys.stdin:
            text = json.loads(line)
            with open(path, "wb") as f:
                f.write(text.encode("utf-8"))
            try:
                result = {"sections": raw_config_parse(path)}
            except ConfigParseError as e:
                cause = e.kwargs["error"]
                if isinstance(cause, DUPLICATES):
                    try:
                        result = {"lenient": lenient_parse(path)}
                    except ConfigParseError as e:
                        result = {"error": type(e.kwargs["error"]).__name__}
                else:
                    result = {"error": type(cause).__name__}
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
