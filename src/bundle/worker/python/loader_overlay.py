# Overlay support of the loader module (see loader.ts and loader.py, which this file follows in it):
# an overlay zip and its base served as one zip, through a sys.path_hooks entry.
import importlib.machinery
import os
import re
import sys

_LOADER_FILE = re.compile(r"^_sab_loader_[0-9a-f]{12}\.py$")
_FLAT_ESCAPE = re.compile("%(2F|25)")
# Attribute of our sys.path_hooks entry: {overlay zip path: its view}, shared by every loader.
_VIEWS_ATTRIBUTE = "_spark_autobundle_overlay_views_v1"


def _overlay_views(install):
    """The registry on our sys.path_hooks entry; with install, adds the hook first if missing."""
    for hook in sys.path_hooks:
        views = getattr(hook, _VIEWS_ATTRIBUTE, None)
        if isinstance(views, dict):
            return views
    if not install:
        return None
    views = {}

    def overlay_path_hook(path):
        # Claims an overlay zip and the package directories inside it; zipimport gets the rest.
        if isinstance(path, str) and ".zip" in path:
            for root, view in list(views.items()):
                if path == root:
                    return view.finder("")
                if path.startswith(root) and path[len(root)] in ("/", os.sep):
                    return view.finder(path[len(root) + 1 :].replace(os.sep, "/").strip("/") + "/")
        raise ImportError("not a spark-autobundle overlay", path=path)

    setattr(overlay_path_hook, _VIEWS_ATTRIBUTE, views)
    sys.path_hooks.insert(0, overlay_path_hook)  # before zipimport, which would see the overlay alone
    return views


class _OverlayView(object):
    """The files of one version: the base's, minus deleted ones, plus the overlay's (which win)."""

    def __init__(self, project, label, front, base, deleted):
        self.project, self.label, self.front, self.base = project, label, front, base
        self._zips = {}
        self.files = {}  # zip path -> (archive, entry name there)
        for archive, is_base in ((base, True), (front, False)):
            for stored in self._zip(archive).namelist():
                # An overlay stores "a/b.py" as "a%2Fb.py": no directory entries to pay for.
                name = stored if is_base else _FLAT_ESCAPE.sub(lambda m: "/" if m.group(1) == "2F" else "%", stored)
                if name.endswith("/") or (is_base and (name in deleted or _LOADER_FILE.match(name))):
                    continue
                self.files[name] = (archive, stored)
        self.dirs = set()
        names = set()
        for name in self.files:
            slash = name.find("/")
            top = name[:slash] if slash > 0 else name[:-3] if name.endswith(".py") else ""
            if top.isidentifier() and not _LOADER_FILE.match(top + ".py"):
                names.add(top)
            while slash > 0:
                self.dirs.add(name[: slash + 1])
                slash = name.find("/", slash + 1)
        self.top_level_names = tuple(sorted(names))

    def _zip(self, archive):
        handle = self._zips.get(archive)
        if handle is None:
            import zipfile

            handle = self._zips[archive] = zipfile.ZipFile(archive)
        return handle

    def close(self):
        for handle in self._zips.values():
            handle.close()
        self._zips.clear()

    def finder(self, prefix):
        return _OverlayFinder(self, prefix)

    def path_of(self, member):
        """The path a module or resource reports: inside the overlay zip, wherever its bytes live."""
        return self.front + os.sep + member.replace("/", os.sep)

    def read(self, member):
        where = self.files.get(member)
        if where is None:
            import errno

            raise FileNotFoundError(errno.ENOENT, "not in bundle %s" % self.label, self.path_of(member))
        return self._zip(where[0]).read(where[1])

    def member_of(self, path):
        path, front = path.replace(os.sep, "/"), self.front.replace(os.sep, "/")
        return path[len(front) + 1 :] if path.startswith(front + "/") else ""


class _OverlayFinder(object):
    """Path-entry finder for an overlay zip (prefix "") or a directory inside it ("pkg/sub/")."""

    def __init__(self, view, prefix):
        self.view, self.prefix = view, prefix

    def find_spec(self, fullname, target=None):
        view = self.view
        stem = self.prefix + fullname.rpartition(".")[2]
        # zipimport's order: package, then module, then namespace portion.
        for member, is_package in ((stem + "/__init__.py", True), (stem + ".py", False)):
            if member in view.files:
                spec = importlib.machinery.ModuleSpec(
                    fullname, _OverlayLoader(view, member), origin=view.path_of(member), is_package=is_package
                )
                spec.has_location = True
                if is_package:
                    spec.submodule_search_locations = [view.path_of(stem)]
                return spec
        if stem + "/" in view.dirs:
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [view.path_of(stem)]
            return spec
        return None

    def invalidate_caches(self):
        pass


class _OverlayLoader(object):
    """Loads one source file of a view (like zipimport, which cannot see across two zips)."""

    def __init__(self, view, member):
        self.view, self.member = view, member

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(self.get_code(module.__name__), module.__dict__)

    def is_package(self, fullname):
        return self.member.endswith("/__init__.py")

    def get_filename(self, fullname):
        return self.view.path_of(self.member)

    def get_code(self, fullname):
        return compile(self.view.read(self.member), self.get_filename(fullname), "exec", dont_inherit=True)

    def get_source(self, fullname):
        import importlib.util

        return importlib.util.decode_source(self.view.read(self.member))

    def get_data(self, path):
        return self.view.read(self.view.member_of(path))

    def get_resource_reader(self, fullname):
        if not self.is_package(fullname):
            return None
        return _resource_reader_type()(self.view, self.member.rpartition("/")[0])

    if sys.version_info < (3, 10):

        @property
        def archive(self):
            # Python 3.9's importlib.resources.files() ignores resource readers: it opens
            # zipfile.Path(loader.archive, <package dir>), zipimport style.
            if not self.member.endswith("/__init__.py"):
                raise AttributeError("archive")
            return _Python39Archive(self.view)


if sys.version_info < (3, 10):
    import zipfile

    class _Python39Archive(zipfile.CompleteDirs):
        """A view as the zipfile.Path root Python 3.9's importlib.resources.files() builds."""

        def __init__(self, view):  # no ZipFile.__init__: nothing to open
            self.view, self.filename = view, view.front

        def __fspath__(self):
            return self.view.front

        def namelist(self):
            return list(self.view.files) + sorted(self.view.dirs)

        def open(self, name, mode="r", pwd=None):
            import io

            return io.BytesIO(self.view.read(name))

        def close(self):
            pass


_RESOURCE_TYPES = []


def _resource_reader_type():
    """importlib.resources support for a view (built on first use: the ABCs import typing)."""
    if _RESOURCE_TYPES:
        return _RESOURCE_TYPES[0]
    try:
        from importlib.resources.abc import Traversable, TraversableResources
    except ImportError:  # Python < 3.11
        from importlib.abc import Traversable, TraversableResources

    class OverlayResource(Traversable):
        def __init__(self, view, member):
            self.view, self.member = view, member

        @property
        def name(self):
            return self.member.rpartition("/")[2]

        def is_file(self):
            return self.member in self.view.files

        def is_dir(self):
            return self.member == "" or self.member + "/" in self.view.dirs

        def iterdir(self):
            if not self.is_dir():
                raise NotADirectoryError(str(self))
            prefix = self.member + "/" if self.member else ""
            children = sorted({name[len(prefix) :].split("/")[0] for name in self.view.files if name.startswith(prefix)})
            return iter([OverlayResource(self.view, prefix + child) for child in children])

        def joinpath(self, *descendants):
            parts = [self.member] if self.member else []
            for descendant in descendants:
                parts += [part for part in str(descendant).replace(os.sep, "/").split("/") if part not in ("", ".")]
            return OverlayResource(self.view, "/".join(parts))

        def __truediv__(self, child):
            return self.joinpath(child)

        def open(self, mode="r", *args, **kwargs):
            import io

            if mode not in ("r", "rb"):
                raise ValueError("bundle resources are read-only; open %s with mode 'r' or 'rb'" % self)
            data = io.BytesIO(self.view.read(self.member))
            return data if mode == "rb" else io.TextIOWrapper(data, *args, **kwargs)

        def read_bytes(self):
            return self.view.read(self.member)

        def read_text(self, encoding=None):
            with self.open("r", encoding=encoding) as stream:
                return stream.read()

        def __str__(self):
            return self.view.path_of(self.member)

        __repr__ = __str__

    class OverlayResources(TraversableResources):
        def __init__(self, view, directory):
            self.view, self.directory = view, directory

        def files(self):
            return OverlayResource(self.view, self.directory)

    _RESOURCE_TYPES.append(OverlayResources)
    return OverlayResources
