"""evalscale: test-time scaling curves of reasoning models (budget forcing and other methods, graded, reported).

The modules follow the data flow of the README's layout: config -> plan -> forcing/methods -> backends -> store
-> grading -> analysis -> report; `evalscale.cli` dispatches the commands in `evalscale.commands`.
"""
