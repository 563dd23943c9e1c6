"""Temporary home page until the map explorer lands (replaced by pages/explorer.py)."""
import dash
from dash import html

dash.register_page(__name__, path="/", name="Accueil", order=0)


def layout(**query):
    return html.Div([html.H1("Atlas de l'accès aux soins des CPTS"), html.P("La carte arrive.")])
