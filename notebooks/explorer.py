# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Output-size explorer
#
# The app for projecting in class: `voila notebooks/explorer.ipynb` (the lesson around it
# is notebook 01). Move the sliders: input H × W, filter FH × FW, padding PH, PW, stride
# SH, SW, dilation D, and the window whose output cell lights up on the right.

# %%
from cnnlib.course.widgets import output_size_explorer

output_size_explorer(H=28, W=28, FH=5, FW=5, P=0, S=1, font_size=18, dpi=100)
