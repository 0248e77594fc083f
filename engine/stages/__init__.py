"""engine/stages"""
