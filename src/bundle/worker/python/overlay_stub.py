# An overlay's loader module (loader.ts overlayLoaderSource), after a header naming BASE_LOADER,
# VERSION_HASH12 and DELETED: small, as it ships with every edit; the code is the base loader's.
import importlib

resolve = importlib.import_module(BASE_LOADER)._overlay_v1(__name__, VERSION_HASH12, DELETED)
