# The loader module of one bundle (see loader.ts): `_sab_loader_<hash12>.py` at the zip's root is a
# generated header (PROJECT, BUNDLE_HASH, TOP_LEVEL_NAMES), then this file, then loader_overlay.py.
# Spark reuses Python workers (and their sys.modules) across tasks, bundle versions and sessions.
# resolve() runs whenever a task unpickles a UDF command, and makes its bundle version win first.
# An overlay's loader is a stub calling _overlay_v1 of its base's loader (this module's code): that
# version is the base's files, minus the ones it deleted, plus the overlay's.
# The header's names have no defaults here: a module without its header must fail on import rather
# than pass for another bundle. _overlay_views and _OverlayView come from loader_overlay.py.
import importlib
import importlib.machinery
import os
import re
import sys
import zipimport

BUNDLE = PROJECT + "-" + BUNDLE_HASH

_ZIP_NAME = BUNDLE + ".zip"
# Full bundles and overlays alike: every one is another version to the others.
_PROJECT_ZIP = re.compile("^" + re.escape(PROJECT) + r"-[0-9a-f]{12}\.zip$")


def _invalidate_path_caches():
    """importlib.invalidate_caches() without re-reading zips. Since Python 3.10 that call re-reads the whole
    directory of every zip an importer is cached for (zipimporter.invalidate_caches), and a worker's path
    holds pyspark.zip, py4j's zip and spark-core's jar: 111-140 ms a version switch on a 4.3.0 worker, half
    of what an edit added to the next job. Bundle and deps zips are content-addressed, so a zip's directory
    never changes; the importers of zips a switch takes off the path are dropped there. Directories and
    other finders are looked at afresh, and namespace packages recompute their paths, as that call does."""
    for finder in sys.meta_path:
        if finder is not importlib.machinery.PathFinder and hasattr(finder, "invalidate_caches"):
            finder.invalidate_caches()
    for entry, finder in list(sys.path_importer_cache.items()):
        if finder is None:
            del sys.path_importer_cache[entry]  # "nothing imports from here" was cached: look again
        elif not isinstance(finder, zipimport.zipimporter) and hasattr(finder, "invalidate_caches"):
            finder.invalidate_caches()
    namespace_path = getattr(importlib._bootstrap_external, "_NamespacePath", None)
    if namespace_path is not None and hasattr(namespace_path, "_epoch"):
        namespace_path._epoch += 1


def _pickle_project_by_value(names):
    """What a worker pickles again must carry this version's code: a Python data source's reader,
    made on the driver's worker, reaches the executors' reused workers, whose sys.modules may hold
    another version of the project. By value, the pickle holds the code itself."""
    try:
        from pyspark import cloudpickle
    except ImportError:
        return
    for name in names:
        module = sys.modules.get(name)
        if module is not None:
            cloudpickle.register_pickle_by_value(module)


class _Version(object):
    """A bundle version on this worker: its zip (imports come from it) and, for an overlay, its base."""

    def __init__(self, loader, label, zip_name, top_level_names, base_zip_name=None, deleted=()):
        self.loader_name = loader.__name__
        self.own_archive = getattr(getattr(loader, "__loader__", None), "archive", None) or os.path.dirname(loader.__file__)
        self.label = label
        self.zip_name = zip_name
        self.top_level_names = tuple(top_level_names)
        self.base_zip_name = base_zip_name
        self.deleted = frozenset(deleted)
        self.zip = None  # the copy of our zip imports come from (same-name copies are equal)
        self.view = None  # an overlay's merged view, once served
        self.base_copies = []  # where the worker put our base; it leaves sys.path while we serve

    def resolve(self, module_path, function_name, deps=None):
        """Import module_path from this version and return its attribute function_name (may be dotted).

        deps: names of the dependency artifacts beside our zip to import from (None: leave sys.path be)."""
        udf = module_path + ":" + function_name
        switched = self._make_version_win(udf)
        if (deps is not None and self._use_deps(deps, udf)) or switched:
            _invalidate_path_caches()
        try:
            module = importlib.import_module(module_path)
        except Exception as error:
            raise ImportError(self._import_failure(module_path, udf, error)) from error
        _pickle_project_by_value(self.top_level_names)
        return self._get_function(module, module_path, function_name, udf)

    def _make_version_win(self, udf):
        """Puts our zip first on sys.path, drops other versions; True if modules had to be swept."""
        path = sys.path
        if self.base_zip_name is not None:
            for entry in path:
                if isinstance(entry, str) and os.path.basename(entry) == self.base_zip_name and entry not in self.base_copies:
                    self.base_copies.append(entry)
        others = [entry for entry in path if self._other_version_zip(entry)]
        if others:
            # The worker re-adds a session's older zips (an overlay's base too) on every task;
            # they must not serve imports.
            for entry in others:
                sys.path_importer_cache.pop(entry, None)
            path[:] = [entry for entry in path if entry not in others]
        if self._still_first(path):
            return False  # no other loader ran since our last sweep, so sys.modules is ours
        self.zip = self.view = None  # until the switch below is complete
        ours = self._choose_our_zip(udf)
        views = _overlay_views(install=self.base_zip_name is not None)
        view = None if self.base_zip_name is None else self._serve_overlay(ours, views, udf)
        if views is not None:
            for root in [root for root, other in views.items() if other.project == PROJECT and root != ours]:
                views.pop(root).close()
        path[:] = [ours] + [entry for entry in path if entry != ours]
        if view is not None:
            self.top_level_names = view.top_level_names
        self._evict_foreign_modules(ours)
        self.zip, self.view = ours, view
        return True

    def _use_deps(self, names, udf):
        """Imports come from exactly these dependency artifacts beside our zip (a pure zip, an unpacked
        native archive): other versions leave sys.path, and modules loaded from them are dropped with
        our own (which bound them), so a changed dependency set takes effect. True if sys.path changed."""
        here = os.path.dirname(self.zip or self.own_archive)
        want = [os.path.join(here, name) for name in names]
        path = sys.path
        stale = [entry for entry in path if _is_deps_entry(entry) and entry not in want]
        if not stale and all(entry in path for entry in want):
            return False
        for entry in want:
            if not os.path.exists(entry):
                raise ImportError(
                    "spark-autobundle: the dependency artifact %s is not on this worker for UDF '%s' (looked at %s). "
                    "Fix: run the query again from a live session so it is uploaded again." % (os.path.basename(entry), udf, entry)
                )
        path[:] = [entry for entry in path if entry not in stale and entry not in want]
        at = 1 if path and path[0] == self.zip else 0
        path[at:at] = want
        # The worker re-adds old pyfiles every task, so this scan runs per task after a change; it
        # drops something only when a module did come from an old version (switching back included).
        if stale:
            self._drop_modules_loaded_from(stale)
        return True

    def _drop_modules_loaded_from(self, entries):
        inside = tuple(entry + sep for entry in entries for sep in ("/", os.sep))
        doomed = [name for name, module in list(sys.modules.items()) if any(loc.startswith(inside) for loc in _locations(module))]
        if not doomed:
            return
        own_prefixes = tuple(name + "." for name in self.top_level_names)
        children = tuple(name + "." for name in doomed)
        for name in list(sys.modules):
            if name in doomed or name.startswith(children) or name in self.top_level_names or name.startswith(own_prefixes):
                sys.modules.pop(name, None)
        for key in [key for key in sys.path_importer_cache if key in entries]:
            sys.path_importer_cache.pop(key, None)

    def _still_first(self, path):
        ours = self.zip
        if ours is None or not path or path[0] != ours or not os.path.exists(ours):
            return False
        if self.view is None:
            return True
        views = _overlay_views(install=False)
        return views is not None and views.get(ours) is self.view and os.path.exists(self.view.base)

    def _choose_our_zip(self, udf):
        candidates = [entry for entry in sys.path if isinstance(entry, str) and os.path.basename(entry) == self.zip_name]
        if os.path.basename(self.own_archive) == self.zip_name:
            candidates.append(self.own_archive)
        existing = [candidate for candidate in candidates if os.path.exists(candidate)]
        if self.base_zip_name is not None:
            # An overlay copy with its base beside it (same session) first.
            existing.sort(key=lambda copy: not os.path.exists(os.path.join(os.path.dirname(copy), self.base_zip_name)))
        if existing:
            return existing[0]
        raise ImportError(
            "spark-autobundle: bundle %s is not on this worker for UDF '%s' (looked for %s at: %s). "
            "Fix: run the query again from a live session so the bundle is uploaded again; the session "
            "that uploaded it may have ended." % (self.label, udf, self.zip_name, ", ".join(candidates) or "nowhere")
        )

    def _serve_overlay(self, ours, views, udf):
        """Registers the merged view that serves our modules, and drops importers cached for our zip."""
        copies = [copy for copy in self.base_copies if os.path.exists(copy)]
        if not copies:
            raise ImportError(
                "spark-autobundle: bundle %s is an overlay on %s, which is not on this worker, for UDF '%s'. "
                "Fix: run the query again from a live session so the bundle is uploaded again; the session "
                "that uploaded it may have ended." % (self.label, self.base_zip_name, udf)
            )
        # The copy from the overlay's own session first.
        base = sorted(copies, key=lambda copy: os.path.dirname(copy) != os.path.dirname(ours))[0]
        view = views.get(ours)
        if view is None or view.base != base:
            view = _OverlayView(PROJECT, self.label, ours, base, self.deleted)
            views[ours] = view
        inside = (ours + "/", ours + os.sep)
        for key in [key for key in sys.path_importer_cache if key == ours or key.startswith(inside)]:
            sys.path_importer_cache.pop(key, None)
        return view

    def _other_version_zip(self, location):
        """True if location is, or lies inside, a zip of another version of this project."""
        if not isinstance(location, str) or ".zip" not in location:
            return False
        for part in location.replace(os.sep, "/").split("/"):
            if part != self.zip_name and part.endswith(".zip") and _PROJECT_ZIP.match(part):
                return True
        return False

    def _evict_foreign_modules(self, ours):
        """Drops modules of other versions, and our top-level names loaded from anywhere but ours."""
        inside_ours = (ours + "/", ours + os.sep)
        own_prefixes = tuple(name + "." for name in self.top_level_names)
        doomed = set()
        for name, module in list(sys.modules.items()):
            if name == self.loader_name:
                continue
            locations = _locations(module)
            if not locations:
                continue
            if any(self._other_version_zip(location) for location in locations):
                doomed.add(name)
            elif name in self.top_level_names or name.startswith(own_prefixes):
                if not any(location.startswith(inside_ours) for location in locations):
                    doomed.add(name)
        if not doomed:
            return
        children = tuple(name + "." for name in doomed)
        for name in list(sys.modules):
            if name in doomed or name.startswith(children):
                sys.modules.pop(name, None)
        for key in [key for key in sys.path_importer_cache if self._other_version_zip(key)]:
            sys.path_importer_cache.pop(key, None)

    def _import_failure(self, module_path, udf, error):
        if isinstance(error, ImportError):
            cause = str(error)
        else:
            cause = "%s: %s" % (type(error).__name__, error)
        missing = getattr(error, "name", None) if isinstance(error, ModuleNotFoundError) else None
        if missing and (module_path == missing or module_path.startswith(missing + ".")):
            fix = "check the module path in '%s' and that %s.py is inside the project and not excluded from the bundle" % (
                udf,
                module_path.replace(".", "/"),
            )
        elif missing and missing.split(".")[0] in self.top_level_names:
            fix = "'%s' imports '%s', which is not in the bundle; fix the import or stop excluding that file" % (
                module_path,
                missing,
            )
        elif missing:
            fix = (
                "'%s' is imported by the UDF's code but is not on the Spark workers; declare it in the project's "
                "dependencies (pyproject.toml [project].dependencies or requirements.txt) so it is shipped, or install it there" % missing
            )
        else:
            fix = "importing '%s' raised an error; see the chained exception" % module_path
        return "spark-autobundle: cannot import '%s' for UDF '%s' (bundle %s): %s. Fix: %s." % (
            module_path,
            udf,
            self.label,
            cause,
            fix,
        )

    def _get_function(self, module, module_path, function_name, udf):
        target, qualname = module, module_path
        for part in function_name.split("."):
            try:
                owner = ("module '%s'" if target is module else "'%s'") % qualname
                target = getattr(target, part)
            except AttributeError as error:
                raise AttributeError(
                    "spark-autobundle: %s has no attribute '%s' for UDF '%s' (bundle %s); it has: %s. "
                    "Fix: check the function name in '%s'." % (owner, part, udf, self.label, _public_names(target), udf)
                ) from error
            qualname += "." + part
        if not callable(target):
            raise TypeError(
                "spark-autobundle: '%s' for UDF '%s' (bundle %s) is a %s, not a function. "
                "Fix: point the UDF at a function." % (function_name, udf, self.label, type(target).__name__)
            )
        return target


def _is_deps_entry(entry):
    return isinstance(entry, str) and os.path.basename(entry).startswith(("sab-deps-", "sab-native-"))


def _locations(module):
    """Where a module was loaded from: its file, or a namespace package's directories."""
    attributes = getattr(module, "__dict__", None)
    if not isinstance(attributes, dict):
        return ()
    file = attributes.get("__file__")
    if isinstance(file, str):
        return (file,)
    spec = attributes.get("__spec__")
    origin = getattr(spec, "origin", None)
    if getattr(spec, "has_location", False) and isinstance(origin, str):
        return (origin,)
    search_path = attributes.get("__path__")
    if search_path is None:
        return ()
    return tuple(entry for entry in search_path if isinstance(entry, str))


def _public_names(target, limit=12):
    names = [name for name in dir(target) if not name.startswith("_")]
    if not names:
        return "no public names"
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else "%s, ... (%d more)" % (shown, len(names) - limit)


def _overlay_v1(stub_name, version_hash, deleted):
    """resolve() for an overlay stub: that version is this bundle minus the deleted files plus the overlay."""
    artifact = PROJECT + "-" + stub_name[len("_sab_loader_"):] + ".zip"
    version = _Version(sys.modules[stub_name], PROJECT + "-" + version_hash, artifact, (), _ZIP_NAME, deleted)
    return version.resolve


# Runs before loader_overlay.py's definitions below it, which resolve() only needs when called.
resolve = _Version(sys.modules[__name__], BUNDLE, _ZIP_NAME, TOP_LEVEL_NAMES).resolve
