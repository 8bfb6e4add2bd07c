"""Object-store access for kernels and workers: a site's keys (``keys.py``), which
site a URL belongs to (``site_rules.py``) and an ``s3://`` filesystem that uses
them (``filesystem.py``). Workers import this too, so nothing here loads IPython
or kernel state; s3fs and distributed load only in the modules that need them."""
