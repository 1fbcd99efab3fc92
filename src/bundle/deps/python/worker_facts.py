# What a Python environment is, for resolving dependencies for it: its platform, libc and the
# distributions already installed, and its PEP 508 marker environment (lockfiles' markers are evaluated
# for the workers, not for the machine running pip). One file for both ways of asking (see deps/shipper.ts), so they
# can't drift: the embedded server's python runs it as a script (`python -c`, prints the JSON), and any
# other server's workers run facts() as the UDF of one probe job (worker/probe.ts execs this file).
import json
import os
import platform
import sys
import sysconfig


def marker_env():
    """PEP 508's environment markers, as packaging.markers.default_environment() computes them."""
    impl = sys.implementation.version
    impl_version = "%d.%d.%d" % (impl.major, impl.minor, impl.micro)
    if impl.releaselevel != "final":
        impl_version += impl.releaselevel[0] + str(impl.serial)
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": impl_version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def facts():
    """JSON: {"platform": sysconfig's, e.g. "linux-x86_64", "libc": e.g. ["glibc", "2.36"], "dists": names, "env": markers}."""
    from importlib import metadata

    dists = sorted({d.metadata["Name"] or "" for d in metadata.distributions()})
    return json.dumps({"platform": sysconfig.get_platform(), "libc": list(platform.libc_ver()), "dists": dists, "env": marker_env()})


if __name__ == "__main__":
    print(facts())
