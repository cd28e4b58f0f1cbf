"""Running one request batch through every stage, resumably.

``pipeline`` is the entry point (:func:`run_batch`, :func:`match_batch`); ``stages`` holds one
function per stage; the rest are the parts they share:

- ``staging``: the request rows as intake staged them;
- ``state``: which stages are done, and the batch lock;
- ``rows``: the final per-row outcomes and the output files;
- ``ledger_entries``: the ledger entries a batch records;
- ``faults``: named kill points for the resume tests;
- ``workspace``: the workspace folder, batch ids and batch databases;
- ``training``: training the match model from files.
"""
