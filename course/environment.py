"""What the student's platform has: versions, hardware profile, GPU."""

import importlib
import platform
from typing import Dict

from course.config import get_settings
from course.profiles import get_profile, gpu_visible
from course.runtime import import_tensorflow

PACKAGES = ("tensorflow", "keras", "keras_hub", "tensorflow_datasets", "numpy", "matplotlib")


def package_versions(packages=PACKAGES) -> Dict[str, str]:
    """Returns ``{package: version}``; ``'missing'`` for a package that does not import.

    Args:
        packages: Import names to look up.
    """
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            module = importlib.import_module(name)
        except ImportError:
            versions[name] = "missing"
        else:
            versions[name] = getattr(module, "__version__", "unknown")
    return versions


def report() -> Dict[str, str]:
    """Prints and returns the versions, the data source setting and the hardware profile.

    Returns:
        The printed facts as a dictionary.
    """
    import_tensorflow()
    facts = package_versions()
    settings = get_settings()
    facts["data_source"] = settings.data_source
    facts["profile"] = get_profile(settings).name
    facts["gpu"] = "yes" if gpu_visible() else "no"
    width = max(len(k) for k in facts)
    for key, value in facts.items():
        print(f"{key:<{width}}  {value}")
    return facts
