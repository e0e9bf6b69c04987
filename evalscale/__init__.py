"""evalscale: test-time scaling curves of reasoning models (budget forcing and other methods).

The modules follow the data flow of the README's layout: config -> plan -> forcing -> backends
-> store -> grading -> analysis -> report; `evalscale.cli` dispatches `evalscale.commands`.
"""
