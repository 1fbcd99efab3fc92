# What a Python environment is, for resolving dependencies for it: its platform, libc and the
# distributions already installed. One file for both ways of asking (see deps/shipper.ts), so they
# can't drift: the embedded server's python runs it as a script (`python -c`, prints the JSON), and any
# other server's workers run facts() as the UDF of one probe job (worker/probe.ts execs this file).
import json
import platform
import sysconfig


def facts():
    """JSON: {"platform": sysconfig's, e.g. "linux-x86_64", "libc": e.g. ["glibc", "2.36"], "dists": names}."""
    from importlib import metadata

    dists = sorted({d.metadata["Name"] or "" for d in metadata.distributions()})
    return json.dumps({"platform": sysconfig.get_platform(), "libc": list(platform.libc_ver()), "dists": dists})


if __name__ == "__main__":
    print(facts())
