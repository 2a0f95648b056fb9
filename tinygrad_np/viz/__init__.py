"""Pictures of what the framework does: the recorded graph (`to_dot`, `draw_graph`), a
compiled step's plan (`plan_to_dot`, `draw_plan`) and training curves (`plot_curves`,
`plot_history`, with a text fallback).

Import it explicitly (`from tinygrad_np import viz`); the core never imports it, so drawing
costs nothing while a model trains. Rendering needs Graphviz's `dot` program and PNG curves
need matplotlib (`pip install "tinygrad-np[viz]"`); the DOT text and text curves need neither.
"""

from .curves import Curve, Panel, history_panels, plot_curves, plot_history, text_curves
from .graph import GraphvizNotFoundError, ModuleCalls, draw_graph, render, to_dot, trace_modules
from .plan import draw_plan, plan_to_dot

__all__ = ["Curve", "GraphvizNotFoundError", "ModuleCalls", "Panel", "draw_graph", "draw_plan",
           "history_panels", "plan_to_dot", "plot_curves", "plot_history", "render",
           "text_curves", "to_dot", "trace_modules"]
