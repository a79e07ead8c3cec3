"""The public reporting channel `/signalement/` and the author's follow-up space `/signalement/suivi/`."""
