"""The national portal's own protocol (DESIGN.md section 7, issue 21): a session login, then JSON
service calls naming a `service` (DongBoHoSoMC, CapNhatTienDoHoSoMC, LayDanhSachTTHC, LayThuTuc,
TraCuuHoSo). Selected with ``PORTAL_TRANSPORT=dvcqg``; the signed webhook stays the default.

- client.py     HTTP: login, one service call, what counts as success or as an expired session
- session.py    the session, shared by every worker through the cache (Redis), one login at a time
- records.py    outbox rows -> DongBoHoSoMC records and CapNhatTienDoHoSoMC progress entries
- transport.py  the outbox adapter (`send`), per-record outcomes
- catalog.py    pull the portal's catalogue (LayDanhSachTTHC + LayThuTuc) into `catalog_import`
"""
