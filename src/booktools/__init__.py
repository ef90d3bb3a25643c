"""Tools that build and check the book, apart from its GAN code (:mod:`ganbook`):

* :mod:`booktools.i18n`: the translated editions (``python -m booktools.i18n``);
* :mod:`booktools.execute`: re-run every notebook in ``_toc.yml`` order
  (``python -m booktools.execute``, ``make execute``);
* :mod:`booktools.bench`: training throughput (``python -m booktools.bench``, ``make bench``).
"""
