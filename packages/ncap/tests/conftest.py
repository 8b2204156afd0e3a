"""No environment variable is set for the tests: dm_control chooses its OpenGL backend as it does for users."""
