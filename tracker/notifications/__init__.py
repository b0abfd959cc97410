"""In-app notifications and My work (我的工作), the page that gathers what each user has to do."""
