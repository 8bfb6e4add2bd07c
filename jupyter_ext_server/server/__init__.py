"""The Jupyter server side of Dask Sites."""
