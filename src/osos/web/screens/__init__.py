"""The screens of one service point, one module each (Readout, YKP, Endeks, Oranlar, Yük
Profili, Aylık): typed query parameters, ``load`` through the read model, and a pure ``view``
that makes the page's context and its download (see :mod:`osos.web.screens.common`)."""
