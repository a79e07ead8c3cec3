"""REST API of the training app under `/api/training/`: modules (with their completion rate, the people not
yet trained and the monthly trend), completions, sessions and attendances, phishing campaigns."""
